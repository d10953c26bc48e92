import type { INestApplicationContext } from '@nestjs/common';
import { DesktopState as S } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AgentsRepository } from '../agents/agents.repository';
import { TemplatesRepository } from '../agents/templates.repository';
import { AuditService } from '../audit/audit.service';
import { SYSTEM } from '../common/actor';
import { DesktopStateMachine } from '../lifecycle/desktop-state';

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
  const agents = app.get(AgentsRepository);
  return ds.transaction(async (tx) => {
    const rows = await agents.lockUndestroyedDesktops(tx, agentId);
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
    const templates = purge ? await app.get(TemplatesRepository).deleteAllOf(tx, agentId) : 0;
    await agents.drain(
      tx,
      agentId,
      'Stopped by npm run down: it takes desktops again when npm run up starts its agent.',
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
