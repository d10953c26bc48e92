import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the broker needs beyond the first schema: login sessions in the database (brokers are
 * stateless, so any broker must recognise a cookie another one issued), and the user a desktop
 * is being forked for (a `forking` desktop has no assigned user by the first schema's check).
 */
export class BrokerSessions1764500000000 implements MigrationInterface {
  name = 'BrokerSessions1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "auth_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "strategy" character varying(32) NOT NULL DEFAULT 'local', "ip" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "uq_auth_sessions_token_hash" UNIQUE ("token_hash"), CONSTRAINT "PK_auth_sessions" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_auth_sessions_user" ON "auth_sessions" ("user_id") `);
    await q.query(`CREATE INDEX "ix_auth_sessions_expires" ON "auth_sessions" ("expires_at") `);
    await q.query(
      `ALTER TABLE "auth_sessions" ADD CONSTRAINT "FK_auth_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(`ALTER TABLE "desktops" ADD "reserved_user_id" uuid`);
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_desktops_reserved_user" FOREIGN KEY ("reserved_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktops_forking_reservation" ON "desktops" ("pool_id", "reserved_user_id") WHERE "reserved_user_id" IS NOT NULL AND "state" = 'forking'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."uq_desktops_forking_reservation"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_desktops_reserved_user"`);
    await q.query(`ALTER TABLE "desktops" DROP COLUMN "reserved_user_id"`);
    await q.query(`ALTER TABLE "auth_sessions" DROP CONSTRAINT "FK_auth_sessions_user"`);
    await q.query(`DROP INDEX "public"."ix_auth_sessions_expires"`);
    await q.query(`DROP INDEX "public"."ix_auth_sessions_user"`);
    await q.query(`DROP TABLE "auth_sessions"`);
  }
}
