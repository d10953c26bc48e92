import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AgentEndpoint } from '../agents/agent-client';
import { HOLDING_A_VM } from '../lifecycle/desktop-states';

/** A desktop's VM on its agent: where its display connections can be ended. */
export interface DisplayTarget {
  desktopId: string;
  vmId: string;
  agent: AgentEndpoint & { name: string };
}

interface TargetRow {
  id: string;
  vm_id: string;
  agent_name: string;
  api_url: string;
  api_token: string;
}

const SELECT = `SELECT d.id, d.vm_id, a.name AS agent_name, a.api_url, a.api_token
   FROM desktops d JOIN agents a ON a.id = d.agent_id
  WHERE d.vm_id IS NOT NULL AND a.api_url IS NOT NULL AND a.api_token IS NOT NULL`;

const toTarget = (r: TargetRow): DisplayTarget => ({
  desktopId: r.id,
  vmId: r.vm_id,
  agent: { name: r.agent_name, apiUrl: r.api_url, apiToken: r.api_token },
});

/** The desktops whose display connections a revocation reaches. */
@Injectable()
export class DisplayTargetsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The desktop's VM, whatever its state (a logoff may just have moved it to destroying). */
  async ofDesktop(desktopId: string): Promise<DisplayTarget | null> {
    const rows = (await this.ds.query(`${SELECT} AND d.id = $1`, [desktopId])) as TargetRow[];
    return rows[0] ? toTarget(rows[0]) : null;
  }

  /**
   * The desktops a user may have a display of: theirs (assigned or reserved) and those they
   * have an open display session on (an admin's shadow), that still hold a VM.
   */
  async ofUser(userId: string): Promise<DisplayTarget[]> {
    const rows = (await this.ds.query(
      `${SELECT} AND d.state = ANY($2)
         AND (d.assigned_user_id = $1 OR d.reserved_user_id = $1 OR EXISTS (
              SELECT 1 FROM desktop_sessions s
               WHERE s.desktop_id = d.id AND s.user_id = $1 AND s.ended_at IS NULL))
       ORDER BY d.id`,
      [userId, HOLDING_A_VM],
    )) as TargetRow[];
    return rows.map(toTarget);
  }
}
