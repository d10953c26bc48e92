import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15: the token an agent presents on its heartbeats is only verified by the broker, so
 * only its sha256 is kept. Agents enrolled before this present their apiToken (one secret both
 * ways), so its hash is theirs; the apiToken itself stays: the broker presents it to the agent.
 */
export class HeartbeatTokenHashes1796700000000 implements MigrationInterface {
  name = 'HeartbeatTokenHashes1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "agents" ADD "heartbeat_token_hash" character varying(64)`);
    await q.query(
      `UPDATE "agents" SET "heartbeat_token_hash" = encode(sha256(convert_to("api_token", 'UTF8')), 'hex')
        WHERE "api_token" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "agents" DROP COLUMN "heartbeat_token_hash"`);
  }
}
