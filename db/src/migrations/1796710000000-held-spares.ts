import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spares held for a user at sign-in: a `ready` desktop with `reserved_user_id` is held for that
 * user until `held_until` (then destroyed: it was personalized for them). `personalized_at`
 * marks a desktop whose fork hook succeeded (the portal's "personalizing" step ends there).
 * One reservation per user and pool, forking or held.
 */
export class HeldSpares1796710000000 implements MigrationInterface {
  name = 'HeldSpares1796710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "desktops" ADD "held_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "desktops" ADD "personalized_at" TIMESTAMP WITH TIME ZONE`);
    // Desktops already given out were personalized (or had their chance) before this column.
    await q.query(
      `UPDATE "desktops" SET "personalized_at" = COALESCE("assigned_at", now()) WHERE "state" IN ('assigned', 'in_use')`,
    );
    await q.query(`DROP INDEX "public"."uq_desktops_forking_reservation"`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktops_reservation" ON "desktops" ("pool_id", "reserved_user_id") WHERE "reserved_user_id" IS NOT NULL AND "state" IN ('forking', 'ready')`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "ck_desktops_hold" CHECK ("held_until" IS NULL OR ("state" = 'ready' AND "reserved_user_id" IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "ck_desktops_hold"`);
    await q.query(`DROP INDEX "public"."uq_desktops_reservation"`);
    await q.query(`UPDATE "desktops" SET "reserved_user_id" = NULL WHERE "state" = 'ready'`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktops_forking_reservation" ON "desktops" ("pool_id", "reserved_user_id") WHERE "reserved_user_id" IS NOT NULL AND "state" = 'forking'`,
    );
    await q.query(`ALTER TABLE "desktops" DROP COLUMN "personalized_at"`);
    await q.query(`ALTER TABLE "desktops" DROP COLUMN "held_until"`);
  }
}
