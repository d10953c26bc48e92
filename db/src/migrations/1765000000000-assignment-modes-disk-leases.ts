import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assignment modes (floating / dedicated) and persistent homes per pool; the owner's session
 * state on a desktop (connected / disconnected / logged_off, with the disconnect time); and
 * the lease on each user's home disk: one row per disk, so one holder, released by a trigger
 * when the holder is destroyed (its VM is gone). A lost desktop keeps its lease until it
 * expires: its VM may still run on an unreachable host, whose agent fences it at expiry.
 */
export class AssignmentModesDiskLeases1765000000000 implements MigrationInterface {
  name = 'AssignmentModesDiskLeases1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "public"."assignment_mode" AS ENUM('floating', 'dedicated')`);
    await q.query(
      `ALTER TABLE "pools" ADD "assignment_mode" "public"."assignment_mode" NOT NULL DEFAULT 'floating'`,
    );
    await q.query(`ALTER TABLE "pools" ADD "persistent_home" boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE TYPE "public"."session_state" AS ENUM('connected', 'disconnected', 'logged_off')`,
    );
    await q.query(`ALTER TABLE "desktops" ADD "session_state" "public"."session_state"`);
    await q.query(`ALTER TABLE "desktops" ADD "disconnected_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "ck_desktops_session_state" CHECK ("session_state" IS NULL OR "assigned_user_id" IS NOT NULL)`,
    );
    await q.query(
      `CREATE TABLE "user_disk_leases" ("user_id" uuid NOT NULL, "desktop_id" uuid NOT NULL, "agent_id" uuid NOT NULL, "disk_path" text NOT NULL, "acquired_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "uq_user_disk_leases_desktop" UNIQUE ("desktop_id"), CONSTRAINT "PK_user_disk_leases" PRIMARY KEY ("user_id"))`,
    );
    await q.query(`CREATE INDEX "ix_user_disk_leases_agent" ON "user_disk_leases" ("agent_id") `);
    await q.query(
      `ALTER TABLE "user_disk_leases" ADD CONSTRAINT "FK_user_disk_leases_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "user_disk_leases" ADD CONSTRAINT "FK_user_disk_leases_desktop" FOREIGN KEY ("desktop_id") REFERENCES "desktops"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "user_disk_leases" ADD CONSTRAINT "FK_user_disk_leases_agent" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(`CREATE FUNCTION "desktops_release_disk_lease"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM user_disk_leases WHERE desktop_id = NEW.id;
  RETURN NEW;
END $$`);
    await q.query(
      `CREATE TRIGGER "desktops_release_disk_lease" AFTER UPDATE OF "state" ON "desktops" FOR EACH ROW WHEN (NEW.state = 'destroyed') EXECUTE FUNCTION "desktops_release_disk_lease"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "desktops_release_disk_lease" ON "desktops"`);
    await q.query(`DROP FUNCTION "desktops_release_disk_lease"()`);
    await q.query(`DROP TABLE "user_disk_leases"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "ck_desktops_session_state"`);
    await q.query(`ALTER TABLE "desktops" DROP COLUMN "disconnected_at"`);
    await q.query(`ALTER TABLE "desktops" DROP COLUMN "session_state"`);
    await q.query(`DROP TYPE "public"."session_state"`);
    await q.query(`ALTER TABLE "pools" DROP COLUMN "persistent_home"`);
    await q.query(`ALTER TABLE "pools" DROP COLUMN "assignment_mode"`);
    await q.query(`DROP TYPE "public"."assignment_mode"`);
  }
}
