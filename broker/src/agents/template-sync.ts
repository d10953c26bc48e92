import type { TemplateInfo } from '@forkdesk/agent-contract';
import { TemplateState } from '@forkdesk/db';
import type { EntityManager } from 'typeorm';
import { parseAgentImageKey } from '../images/manifest';
import type { TemplatesRepository } from './templates.repository';

/**
 * The templates an agent reports are the truth for what runs on it. An agent reuses a
 * reference when it rebuilds the same template (after a purge, or when its files were deleted
 * behind its back): a row the broker already gave up keeps its id and history but yields the
 * reference (TemplatesRepository.freeRef), so the live row can take it.
 */
export async function syncTemplates(
  repo: TemplatesRepository,
  tx: EntityManager,
  agentId: string,
  templates: readonly TemplateInfo[],
): Promise<void> {
  const seen: string[] = [];
  for (const t of templates) {
    const versionId = parseAgentImageKey(t.imageVersion);
    if (!versionId) continue; // not one of ours (made by hand on the agent)
    if (!(await repo.versionExists(tx, versionId))) continue;
    seen.push(t.id);
    const state =
      t.state === 'ready'
        ? TemplateState.Ready
        : t.state === 'failed'
          ? TemplateState.Failed
          : TemplateState.Building;
    const key = [agentId, versionId, t.shape.vcpus, t.shape.memoryMiB, t.accel] as const;
    // The row the broker made when it asked for the build, or the agent's own report.
    const live = await repo.lockLive(tx, [...key]);
    await repo.freeRef(tx, agentId, t.id, live ? { rowId: live } : undefined);
    const facts = {
      agentTemplateId: t.id,
      state,
      deviceStateBytes: t.deviceStateBytes,
      buildMs: t.buildMs,
    };
    if (live) await repo.update(tx, live, facts);
    else await repo.insert(tx, [...key], facts);
  }
  // Templates the agent no longer has (and that are not still being asked for).
  await repo.deleteMissing(tx, agentId, seen);
}
