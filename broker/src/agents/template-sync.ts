import type { TemplateInfo } from '@forkdesk/agent-contract';
import { parseAgentImageKey } from '../images/manifest';

/**
 * The templates an agent reports are the truth for what runs on it. A template's reference on
 * its agent (`agent_template_id`) is unique per agent forever (uq_templates_agent_ref), but an
 * agent reuses a reference when it rebuilds the same template (after a purge, or when its files
 * were deleted behind its back): a row the broker already gave up keeps its id and history but
 * yields the reference, so the live row can take it. Every writer of `agent_template_id` goes
 * through here.
 */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Frees `ref` on `agentId` for the row `keep` (or for a row about to be inserted): any other
 * row holding it is deleted (the agent now says `ref` is something else) and its reference
 * gets a `~<row id>` tail.
 */
export async function freeTemplateRef(
  db: SqlRunner,
  agentId: string,
  ref: string,
  keep?: { rowId: string },
): Promise<void> {
  await db.query(
    `UPDATE templates SET state = 'deleted', agent_template_id = left(agent_template_id, 80) || '~' || id
      WHERE agent_id = $1 AND agent_template_id = $2 AND id IS DISTINCT FROM $3::uuid`,
    [agentId, ref, keep?.rowId ?? null],
  );
}

/** Brings the agent's template rows in line with its heartbeat's list. */
export async function syncTemplates(
  db: SqlRunner,
  agentId: string,
  templates: readonly TemplateInfo[],
): Promise<void> {
  const seen: string[] = [];
  for (const t of templates) {
    const versionId = parseAgentImageKey(t.imageVersion);
    if (!versionId) continue; // not one of ours (made by hand on the agent)
    const v = (await db.query(`SELECT id FROM image_versions WHERE id = $1`, [versionId])) as {
      id: string;
    }[];
    if (!v[0]) continue;
    seen.push(t.id);
    const state = t.state === 'ready' ? 'ready' : t.state === 'failed' ? 'failed' : 'building';
    const key = [agentId, v[0].id, t.shape.vcpus, t.shape.memoryMiB, t.accel];
    // The row the broker made when it asked for the build, or the agent's own report.
    const [live] = (await db.query(
      `SELECT id FROM templates WHERE agent_id = $1 AND image_version_id = $2 AND vcpus = $3
          AND memory_mib = $4 AND accel = $5 AND state <> 'deleted' FOR UPDATE`,
      key,
    )) as { id: string }[];
    await freeTemplateRef(db, agentId, t.id, live ? { rowId: live.id } : undefined);
    const facts = [t.id, state, t.deviceStateBytes, Math.round(t.buildMs)];
    if (live) {
      await db.query(
        `UPDATE templates SET agent_template_id = $2, state = $3, device_state_bytes = $4, build_ms = $5
          WHERE id = $1`,
        [live.id, ...facts],
      );
    } else {
      await db.query(
        `INSERT INTO templates (agent_id, image_version_id, vcpus, memory_mib, accel, agent_template_id, state, device_state_bytes, build_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [...key, ...facts],
      );
    }
  }
  // Templates the agent no longer has (and that are not still being asked for).
  await db.query(
    `UPDATE templates SET state = 'deleted'
      WHERE agent_id = $1 AND state IN ('ready', 'failed') AND NOT (agent_template_id = ANY($2))`,
    [agentId, seen],
  );
}
