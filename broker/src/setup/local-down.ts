import type { INestApplicationContext } from '@nestjs/common';
import { DesktopState as S } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { SYSTEM } from '../common/actor';
import { DesktopStateMachine } from '../desktops/desktop-state';

export interface LocalDownResult {
  desktops: number;
  templates: number;
}

/**
 * The database side of `npm run down`: what `down` ended on the host (hypervisor-agent's
 * purge.js) is ended here too, in the same step, so the next `up` starts from rows that match
 * the host: the agent's desktops are destroyed (users' home disk leases go with them), with
 * `purge` its templates are deleted (the reconciler asks for new ones), and the agent is
 * drained with a reason until its next heartbeat.
 */
export async function markLocalDown(
  app: INestApplicationContext,
  agentId: string,
  purge: boolean,
): Promise<LocalDownResult> {
  const ds = app.get(DataSource);
  const states = app.get(DesktopStateMachine);
  const audit = app.get(AuditService);
  return ds.transaction(async (tx) => {
    const rows = (await tx.query(
      `SELECT id, state FROM desktops WHERE agent_id = $1 AND state <> $2
        FOR UPDATE`,
      [agentId, S.Destroyed],
    )) as { id: string; state: S }[];
    const reason = { reason: purge ? 'npm run down -- --purge' : 'npm run down' };
    for (const d of rows) {
      if (d.state === S.Ready || d.state === S.Assigned || d.state === S.InUse)
        await states.move(tx, d.id, [d.state], S.Destroying, SYSTEM, {}, reason);
      await states.move(
        tx,
        d.id,
        [S.Forking, S.Destroying, S.Lost],
        S.Destroyed,
        SYSTEM,
        {},
        reason,
      );
    }
    let templates = 0;
    if (purge) {
      const [, n] = (await tx.query(
        `UPDATE templates SET state = 'deleted' WHERE agent_id = $1 AND state <> 'deleted'`,
        [agentId],
      )) as [unknown, number];
      templates = n;
    }
    await tx.query(
      `UPDATE agents SET state = 'draining', problem = $2, problem_at = now()
        WHERE id = $1 AND state <> 'enrolling'`,
      [
        agentId,
        'Stopped by npm run down: it takes desktops again when npm run up starts its agent.',
      ],
    );
    await audit.record(tx, SYSTEM, {
      action: 'agent.down',
      targetType: 'agent',
      targetId: agentId,
      details: { ...reason, desktops: rows.length, templatesDeleted: templates },
    });
    return { desktops: rows.length, templates };
  });
}
