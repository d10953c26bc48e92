import { Injectable } from '@nestjs/common';
import { TemplateState } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import type { VersionFiles } from '../images/manifest';

/** The identity of a template row: one per agent, image version, shape and accelerator. */
export type TemplateKey = [
  agentId: string,
  imageVersionId: string,
  vcpus: number,
  memoryMib: number,
  accel: string,
];

/** What an agent says of a template it has (or has built). */
export interface TemplateFacts {
  agentTemplateId: string;
  state: TemplateState;
  deviceStateBytes: number;
  buildMs: number;
  accel?: string;
}

/**
 * The templates table. A template's reference on its agent (`agent_template_id`) is unique per
 * agent forever (uq_templates_agent_ref), so every writer of it goes through freeRef first.
 */
@Injectable()
export class TemplatesRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Frees `ref` on `agentId` for the row `keep` (or for a row about to be inserted): any other
   * row holding it is deleted (the agent now says `ref` is something else) and its reference
   * gets a `~<row id>` tail.
   */
  async freeRef(
    tx: EntityManager,
    agentId: string,
    ref: string,
    keep?: { rowId: string },
  ): Promise<void> {
    await tx.query(
      `UPDATE templates SET state = $4, agent_template_id = left(agent_template_id, 80) || '~' || id
        WHERE agent_id = $1 AND agent_template_id = $2 AND id IS DISTINCT FROM $3::uuid`,
      [agentId, ref, keep?.rowId ?? null, TemplateState.Deleted],
    );
  }

  async versionExists(tx: EntityManager, imageVersionId: string): Promise<boolean> {
    const v = (await tx.query(`SELECT 1 FROM image_versions WHERE id = $1`, [
      imageVersionId,
    ])) as unknown[];
    return v.length > 0;
  }

  /** The row that is not deleted for this key, locked; null when there is none. */
  async lockLive(tx: EntityManager, key: TemplateKey): Promise<string | null> {
    const [live] = (await tx.query(
      `SELECT id FROM templates WHERE agent_id = $1 AND image_version_id = $2 AND vcpus = $3
          AND memory_mib = $4 AND accel = $5 AND state <> $6 FOR UPDATE`,
      [...key, TemplateState.Deleted],
    )) as { id: string }[];
    return live?.id ?? null;
  }

  /** The agent's facts on row `id` (its accelerator too, when given). */
  async update(tx: EntityManager, id: string, f: TemplateFacts): Promise<void> {
    await tx.query(
      `UPDATE templates SET agent_template_id = $2, state = $3, device_state_bytes = $4, build_ms = $5,
              accel = COALESCE($6, accel)
        WHERE id = $1`,
      [id, f.agentTemplateId, f.state, f.deviceStateBytes, Math.round(f.buildMs), f.accel ?? null],
    );
  }

  async insert(tx: EntityManager, key: TemplateKey, f: TemplateFacts): Promise<void> {
    await tx.query(
      `INSERT INTO templates (agent_id, image_version_id, vcpus, memory_mib, accel, agent_template_id, state, device_state_bytes, build_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [...key, f.agentTemplateId, f.state, f.deviceStateBytes, Math.round(f.buildMs)],
    );
  }

  /** Ready or failed templates of the agent not in `seen` are gone from it: deleted. */
  async deleteMissing(tx: EntityManager, agentId: string, seen: string[]): Promise<void> {
    await tx.query(
      `UPDATE templates SET state = $3
        WHERE agent_id = $1 AND state = ANY($4) AND NOT (agent_template_id = ANY($2))`,
      [agentId, seen, TemplateState.Deleted, [TemplateState.Ready, TemplateState.Failed]],
    );
  }

  /** Every template of the agent is deleted (its host was purged); returns how many. */
  async deleteAllOf(tx: EntityManager, agentId: string): Promise<number> {
    const [, n] = (await tx.query(
      `UPDATE templates SET state = $2 WHERE agent_id = $1 AND state <> $2`,
      [agentId, TemplateState.Deleted],
    )) as [unknown, number];
    return n;
  }

  /**
   * Claims a `building` row for every live agent (heartbeat within `heartbeatTimeoutS`) that
   * has no template of this version and shape: of several brokers exactly one claims each.
   */
  async claimBuilds(
    imageVersionId: string,
    vcpus: number,
    memoryMib: number,
    heartbeatTimeoutS: number,
  ): Promise<{ id: string; agentId: string }[]> {
    const rows = (await this.ds.query(
      `INSERT INTO templates (agent_id, agent_template_id, image_version_id, vcpus, memory_mib, accel, state)
       SELECT a.id, 'pending:' || gen_random_uuid(), $1, $2, $3, COALESCE(a.accel, 'tcg'), $5
         FROM agents a
        WHERE a.state = 'active' AND a.api_url IS NOT NULL
          AND a.last_heartbeat_at > now() - make_interval(secs => $4)
          AND NOT EXISTS (SELECT 1 FROM templates t WHERE t.agent_id = a.id AND t.image_version_id = $1
                            AND t.vcpus = $2 AND t.memory_mib = $3 AND t.state <> $6)
       ON CONFLICT DO NOTHING
       RETURNING id, agent_id`,
      [
        imageVersionId,
        vcpus,
        memoryMib,
        heartbeatTimeoutS,
        TemplateState.Building,
        TemplateState.Deleted,
      ],
    )) as { id: string; agent_id: string }[];
    return rows.map((r) => ({ id: r.id, agentId: r.agent_id }));
  }

  /** The files a template of this version is built from. */
  async versionFiles(imageVersionId: string): Promise<VersionFiles | null> {
    const [v] = (await this.ds.query(
      `SELECT v.disk_path, v.kernel_path, v.initrd_path, v.recipe_hash, v.manifest
         FROM image_versions v WHERE v.id = $1`,
      [imageVersionId],
    )) as VersionFiles[];
    return v ?? null;
  }

  async markFailed(id: string): Promise<void> {
    await this.ds.query(`UPDATE templates SET state = $2 WHERE id = $1`, [
      id,
      TemplateState.Failed,
    ]);
  }
}
