import { Injectable } from '@nestjs/common';
import { DesktopSession, DesktopState, SessionMode } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';

/** A desktop as a tunnel grant needs it: its state and owner, and its agent's gateway. */
export interface TunnelTarget {
  id: string;
  state: DesktopState;
  vmId: string | null;
  assignedUserId: string | null;
  gatewayHost: string | null;
  gatewayPort: number | null;
  displayKey: string | null;
}

/** An open (or just closed) display session. */
export interface DisplaySession {
  desktopId: string;
  userId: string;
  clientIp: string | null;
  mode: SessionMode;
}

interface TargetRow {
  id: string;
  state: DesktopState;
  vm_id: string | null;
  assigned_user_id: string | null;
  gateway_host: string | null;
  gateway_port: number | null;
  display_key: string | null;
}

interface SessionRow {
  desktop_id: string;
  user_id: string;
  client_ip: string | null;
  mode: SessionMode;
}

const toTarget = (r: TargetRow): TunnelTarget => ({
  id: r.id,
  state: r.state,
  vmId: r.vm_id,
  assignedUserId: r.assigned_user_id,
  gatewayHost: r.gateway_host,
  gatewayPort: r.gateway_port,
  displayKey: r.display_key,
});

const toSession = (r: SessionRow): DisplaySession => ({
  desktopId: r.desktop_id,
  userId: r.user_id,
  clientIp: r.client_ip,
  mode: r.mode,
});

/** Display sessions (desktop_sessions) and the desktop facts a tunnel needs. */
@Injectable()
export class TunnelRepository {
  /** The desktop, locked for the grant's transaction, with its agent's gateway. */
  async lockTarget(tx: EntityManager, desktopId: string): Promise<TunnelTarget | null> {
    const rows = (await tx.query(
      `SELECT d.id, d.state, d.vm_id, d.assigned_user_id, a.gateway_host, a.gateway_port, a.display_key
         FROM desktops d LEFT JOIN agents a ON a.id = d.agent_id
        WHERE d.id = $1 FOR UPDATE OF d`,
      [desktopId],
    )) as TargetRow[];
    return rows[0] ? toTarget(rows[0]) : null;
  }

  /** Ends the desktop's open control session, if any: a reconnect replaces it. */
  async endControlSessions(tx: EntityManager, desktopId: string): Promise<void> {
    await tx.query(
      `UPDATE desktop_sessions SET ended_at = now(), end_reason = 'replaced'
        WHERE desktop_id = $1 AND mode = $2 AND ended_at IS NULL`,
      [desktopId, SessionMode.Control],
    );
  }

  async insertSession(
    tx: EntityManager,
    s: { desktopId: string; userId: string; mode: SessionMode; clientIp: string | null },
  ): Promise<string> {
    const session = await tx.save(tx.create(DesktopSession, s));
    return session.id;
  }

  /** The desktop counts as active until now. */
  async touchDesktop(tx: EntityManager, desktopId: string): Promise<void> {
    await tx.query(`UPDATE desktops SET last_active_at = now() WHERE id = $1`, [desktopId]);
  }

  /** The session if it is still open and the owner's control connection. */
  async openControlSession(tx: EntityManager, sessionId: string): Promise<DisplaySession | null> {
    const rows = (await tx.query(
      `SELECT desktop_id, user_id, client_ip, mode FROM desktop_sessions
        WHERE id = $1 AND ended_at IS NULL AND mode = $2`,
      [sessionId, SessionMode.Control],
    )) as SessionRow[];
    return rows[0] ? toSession(rows[0]) : null;
  }

  /** Ends the session as disconnected; null when it had ended already. */
  async closeSession(tx: EntityManager, sessionId: string): Promise<DisplaySession | null> {
    const [rows] = (await tx.query(
      `UPDATE desktop_sessions SET ended_at = now(), end_reason = 'disconnected'
        WHERE id = $1 AND ended_at IS NULL RETURNING desktop_id, user_id, client_ip, mode`,
      [sessionId],
    )) as [SessionRow[], number];
    return rows[0] ? toSession(rows[0]) : null;
  }

  /**
   * Whether the user may still use the desktop's pool: entitled directly or through a group
   * (the rule "open" applies, DesktopsRepository's ENTITLED), checked again on every connect.
   */
  async entitledToDesktopPool(
    tx: EntityManager,
    userId: string,
    desktopId: string,
  ): Promise<boolean> {
    const rows = (await tx.query(
      `SELECT 1 FROM desktops d JOIN entitlements e ON e.pool_id = d.pool_id
        WHERE d.id = $2 AND (e.user_id = $1 OR e.group_id IN
              (SELECT m.group_id FROM memberships m WHERE m.user_id = $1))
        LIMIT 1`,
      [userId, desktopId],
    )) as unknown[];
    return rows.length > 0;
  }

  async username(tx: EntityManager, userId: string): Promise<string | null> {
    const [u] = (await tx.query(`SELECT username FROM users WHERE id = $1`, [userId])) as {
      username: string;
    }[];
    return u?.username ?? null;
  }
}
