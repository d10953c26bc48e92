import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema: every table of DESIGN.md §6 with the invariants the database enforces
 * (partial unique indexes, checks, and a trigger that keeps an assignment with its user).
 * Generated from the entities, then the expression index and the trigger were added by hand.
 */
export class InitialSchema1764072000000 implements MigrationInterface {
  name = 'InitialSchema1764072000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TYPE "public"."agent_state" AS ENUM('enrolling', 'active', 'draining', 'lost')`,
    );
    await q.query(
      `CREATE TABLE "agents" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(128) NOT NULL, "state" "public"."agent_state" NOT NULL DEFAULT 'enrolling', "enrollment_token_hash" character varying(64), "api_url" text, "api_token" text, "display_key" text, "gateway_host" character varying(255), "gateway_port" integer, "accel" character varying(8), "total_mib" integer NOT NULL DEFAULT '0', "available_mib" integer NOT NULL DEFAULT '0', "reserve_mib" integer NOT NULL DEFAULT '0', "last_heartbeat_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_1ea6b2ce044724d3254d19ab922" UNIQUE ("name"), CONSTRAINT "UQ_2d375eabe494bc1aa3b9a1caa56" UNIQUE ("enrollment_token_hash"), CONSTRAINT "PK_9c653f28ae19c5884d5baf6a1d9" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE TYPE "public"."user_role" AS ENUM('admin', 'user')`);
    await q.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "username" character varying(64) NOT NULL, "display_name" character varying(128) NOT NULL DEFAULT '', "password_hash" text, "role" "public"."user_role" NOT NULL DEFAULT 'user', "disabled" boolean NOT NULL DEFAULT false, "failed_logins" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "audit_events" ("id" BIGSERIAL NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_user_id" uuid, "actor" character varying(160) NOT NULL, "action" character varying(64) NOT NULL, "target_type" character varying(32), "target_id" character varying(128), "ip" character varying(64), "details" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_audit_events_action" ON "audit_events" ("action", "at") `);
    await q.query(`CREATE INDEX "ix_audit_events_at" ON "audit_events" ("at") `);
    await q.query(
      `CREATE TABLE "golden_images" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(64) NOT NULL, "description" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_da63e15d94d6091d90aa2d34760" UNIQUE ("name"), CONSTRAINT "PK_8727b21559885fd809b273ccf21" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TYPE "public"."image_version_state" AS ENUM('importing', 'ready', 'published', 'retired', 'failed')`,
    );
    await q.query(
      `CREATE TABLE "image_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "image_id" uuid NOT NULL, "version" integer NOT NULL, "state" "public"."image_version_state" NOT NULL DEFAULT 'importing', "manifest" jsonb NOT NULL DEFAULT '{}', "recipe_hash" character varying(64), "disk_path" text NOT NULL, "kernel_path" text, "initrd_path" text, "size_bytes" bigint NOT NULL DEFAULT '0', "published_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_image_versions_version_positive" CHECK ("version" > 0), CONSTRAINT "PK_ce3fa676c79b05272b7923604cb" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_image_versions_image_version" ON "image_versions" ("image_id", "version") `,
    );
    await q.query(`CREATE TYPE "public"."refresh_policy" AS ENUM('on_logoff', 'nightly', 'never')`);
    await q.query(`CREATE TYPE "public"."network_mode" AS ENUM('restricted', 'nat')`);
    await q.query(
      `CREATE TABLE "pools" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(64) NOT NULL, "image_id" uuid NOT NULL, "image_version_id" uuid, "vcpus" integer NOT NULL DEFAULT '1', "memory_mib" integer NOT NULL DEFAULT '1024', "min_spare" integer NOT NULL DEFAULT '1', "max_size" integer NOT NULL DEFAULT '10', "refresh_policy" "public"."refresh_policy" NOT NULL DEFAULT 'on_logoff', "idle_timeout_min" integer NOT NULL DEFAULT '60', "network_mode" "public"."network_mode" NOT NULL DEFAULT 'restricted', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_09290a635a9752d40280dba82ca" UNIQUE ("name"), CONSTRAINT "ck_pools_idle_timeout" CHECK ("idle_timeout_min" >= 0), CONSTRAINT "ck_pools_size" CHECK ("min_spare" >= 0 AND "max_size" >= "min_spare" AND "max_size" > 0), CONSTRAINT "ck_pools_shape" CHECK ("vcpus" > 0 AND "memory_mib" >= 64), CONSTRAINT "PK_6708c86fc389259de3ee43230ee" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TYPE "public"."template_state" AS ENUM('building', 'ready', 'failed', 'deleted')`,
    );
    await q.query(
      `CREATE TABLE "templates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "agent_id" uuid NOT NULL, "agent_template_id" character varying(128) NOT NULL, "image_version_id" uuid NOT NULL, "vcpus" integer NOT NULL, "memory_mib" integer NOT NULL, "accel" character varying(8) NOT NULL, "state" "public"."template_state" NOT NULL DEFAULT 'building', "device_state_bytes" bigint NOT NULL DEFAULT '0', "build_ms" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_515948649ce0bbbe391de702ae5" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_templates_agent_ref" ON "templates" ("agent_id", "agent_template_id") `,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_templates_live_key" ON "templates" ("agent_id", "image_version_id", "vcpus", "memory_mib", "accel") WHERE "state" <> 'deleted'`,
    );
    await q.query(
      `CREATE TYPE "public"."desktop_state" AS ENUM('forking', 'ready', 'assigned', 'in_use', 'destroying', 'destroyed', 'lost')`,
    );
    await q.query(
      `CREATE TABLE "desktops" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "pool_id" uuid NOT NULL, "image_version_id" uuid NOT NULL, "agent_id" uuid, "template_id" uuid, "vm_id" character varying(128), "state" "public"."desktop_state" NOT NULL DEFAULT 'forking', "assigned_user_id" uuid, "private_mib" integer, "shared_mib" integer, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ready_at" TIMESTAMP WITH TIME ZONE, "assigned_at" TIMESTAMP WITH TIME ZONE, "last_active_at" TIMESTAMP WITH TIME ZONE, "destroyed_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_desktops_assignment" CHECK (("state" NOT IN ('assigned', 'in_use') OR "assigned_user_id" IS NOT NULL) AND ("state" NOT IN ('forking', 'ready') OR "assigned_user_id" IS NULL)), CONSTRAINT "PK_c5aa0036a60e365bb40b6b7701d" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_desktops_pool_state" ON "desktops" ("pool_id", "state") `);
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktops_agent_vm" ON "desktops" ("agent_id", "vm_id") WHERE "vm_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktops_live_user_pool" ON "desktops" ("pool_id", "assigned_user_id") WHERE "assigned_user_id" IS NOT NULL AND "state" IN ('assigned', 'in_use')`,
    );
    await q.query(`CREATE TYPE "public"."session_mode" AS ENUM('control', 'view')`);
    await q.query(
      `CREATE TABLE "desktop_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "desktop_id" uuid NOT NULL, "user_id" uuid NOT NULL, "mode" "public"."session_mode" NOT NULL DEFAULT 'control', "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, "end_reason" character varying(64), "client_ip" character varying(64), CONSTRAINT "PK_9190b68f48625e22145234dd689" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "ix_desktop_sessions_user" ON "desktop_sessions" ("user_id", "started_at") `,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_desktop_sessions_open_control" ON "desktop_sessions" ("desktop_id") WHERE "ended_at" IS NULL AND "mode" = 'control'`,
    );
    await q.query(
      `CREATE TABLE "groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(64) NOT NULL, "description" text NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_664ea405ae2a10c264d582ee563" UNIQUE ("name"), CONSTRAINT "PK_659d1483316afb28afd3a90646e" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "entitlements" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "pool_id" uuid NOT NULL, "user_id" uuid, "group_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_entitlements_one_subject" CHECK (("user_id" IS NULL) <> ("group_id" IS NULL)), CONSTRAINT "PK_6a45cb6f5747d49365a879bffde" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_entitlements_pool_group" ON "entitlements" ("pool_id", "group_id") WHERE "group_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "uq_entitlements_pool_user" ON "entitlements" ("pool_id", "user_id") WHERE "user_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE TABLE "memberships" ("user_id" uuid NOT NULL, "group_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3923edf77fc86ff52c078826b25" PRIMARY KEY ("user_id", "group_id"))`,
    );
    await q.query(`CREATE INDEX "ix_memberships_group" ON "memberships" ("group_id") `);
    await q.query(
      `CREATE TABLE "settings" ("key" character varying(64) NOT NULL, "value" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c8639b7626fa94ba8265628f214" PRIMARY KEY ("key"))`,
    );
    await q.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "FK_da4e1f7755a2ab9a8b7ddefaa4d" FOREIGN KEY ("actor_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "image_versions" ADD CONSTRAINT "FK_662964cd09f7dc2305dc9f3c0de" FOREIGN KEY ("image_id") REFERENCES "golden_images"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "pools" ADD CONSTRAINT "FK_2473bc74faaea96ddbd3dd677d7" FOREIGN KEY ("image_id") REFERENCES "golden_images"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "pools" ADD CONSTRAINT "FK_e3c57de86407186b970c5eccf30" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "templates" ADD CONSTRAINT "FK_15a0d0c016e26ac9a6a1dec734a" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "templates" ADD CONSTRAINT "FK_74e075f2f6212e7bd3b0648ca2e" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_01d2eb4976cd20b9847239a42c2" FOREIGN KEY ("pool_id") REFERENCES "pools"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_fc1206fb043a9b0b55a72affc78" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_1d5c62d01df9d6f628e10eb2ca4" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_8c9fc447854a8e3814e7d84f7e6" FOREIGN KEY ("template_id") REFERENCES "templates"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktops" ADD CONSTRAINT "FK_7f3cf41a256825f60e5242d38c7" FOREIGN KEY ("assigned_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktop_sessions" ADD CONSTRAINT "FK_f7adb5fef362ce3024e75c51741" FOREIGN KEY ("desktop_id") REFERENCES "desktops"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "desktop_sessions" ADD CONSTRAINT "FK_bf4e6533c1e06856927c07cbdfa" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "entitlements" ADD CONSTRAINT "FK_a70cb4faab7b16cad00cf312728" FOREIGN KEY ("pool_id") REFERENCES "pools"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "entitlements" ADD CONSTRAINT "FK_30d2208c43f245217c03cb7ce31" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "entitlements" ADD CONSTRAINT "FK_097706352087652086fa3a248dc" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "FK_253a15e6c430fc2e5bb84c4afda" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(`CREATE UNIQUE INDEX "uq_users_username" ON "users" (lower("username"))`);
    await q.query(`CREATE FUNCTION "desktops_assignment_is_final"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.assigned_user_id IS NOT NULL AND NEW.assigned_user_id IS DISTINCT FROM OLD.assigned_user_id THEN
    RAISE EXCEPTION 'desktop % is already assigned to another user', OLD.id
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'desktops_assignment_is_final';
  END IF;
  RETURN NEW;
END $$`);
    await q.query(
      `CREATE TRIGGER "desktops_assignment_is_final" BEFORE UPDATE OF "assigned_user_id" ON "desktops" FOR EACH ROW EXECUTE FUNCTION "desktops_assignment_is_final"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "desktops_assignment_is_final" ON "desktops"`);
    await q.query(`DROP FUNCTION "desktops_assignment_is_final"()`);
    await q.query(`DROP INDEX "public"."uq_users_username"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_253a15e6c430fc2e5bb84c4afda"`);
    await q.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051"`);
    await q.query(`ALTER TABLE "entitlements" DROP CONSTRAINT "FK_097706352087652086fa3a248dc"`);
    await q.query(`ALTER TABLE "entitlements" DROP CONSTRAINT "FK_30d2208c43f245217c03cb7ce31"`);
    await q.query(`ALTER TABLE "entitlements" DROP CONSTRAINT "FK_a70cb4faab7b16cad00cf312728"`);
    await q.query(
      `ALTER TABLE "desktop_sessions" DROP CONSTRAINT "FK_bf4e6533c1e06856927c07cbdfa"`,
    );
    await q.query(
      `ALTER TABLE "desktop_sessions" DROP CONSTRAINT "FK_f7adb5fef362ce3024e75c51741"`,
    );
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_7f3cf41a256825f60e5242d38c7"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_8c9fc447854a8e3814e7d84f7e6"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_1d5c62d01df9d6f628e10eb2ca4"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_fc1206fb043a9b0b55a72affc78"`);
    await q.query(`ALTER TABLE "desktops" DROP CONSTRAINT "FK_01d2eb4976cd20b9847239a42c2"`);
    await q.query(`ALTER TABLE "templates" DROP CONSTRAINT "FK_74e075f2f6212e7bd3b0648ca2e"`);
    await q.query(`ALTER TABLE "templates" DROP CONSTRAINT "FK_15a0d0c016e26ac9a6a1dec734a"`);
    await q.query(`ALTER TABLE "pools" DROP CONSTRAINT "FK_e3c57de86407186b970c5eccf30"`);
    await q.query(`ALTER TABLE "pools" DROP CONSTRAINT "FK_2473bc74faaea96ddbd3dd677d7"`);
    await q.query(`ALTER TABLE "image_versions" DROP CONSTRAINT "FK_662964cd09f7dc2305dc9f3c0de"`);
    await q.query(`ALTER TABLE "audit_events" DROP CONSTRAINT "FK_da4e1f7755a2ab9a8b7ddefaa4d"`);
    await q.query(`DROP TABLE "settings"`);
    await q.query(`DROP INDEX "public"."ix_memberships_group"`);
    await q.query(`DROP TABLE "memberships"`);
    await q.query(`DROP INDEX "public"."uq_entitlements_pool_user"`);
    await q.query(`DROP INDEX "public"."uq_entitlements_pool_group"`);
    await q.query(`DROP TABLE "entitlements"`);
    await q.query(`DROP TABLE "groups"`);
    await q.query(`DROP INDEX "public"."uq_desktop_sessions_open_control"`);
    await q.query(`DROP INDEX "public"."ix_desktop_sessions_user"`);
    await q.query(`DROP TABLE "desktop_sessions"`);
    await q.query(`DROP TYPE "public"."session_mode"`);
    await q.query(`DROP INDEX "public"."uq_desktops_live_user_pool"`);
    await q.query(`DROP INDEX "public"."uq_desktops_agent_vm"`);
    await q.query(`DROP INDEX "public"."ix_desktops_pool_state"`);
    await q.query(`DROP TABLE "desktops"`);
    await q.query(`DROP TYPE "public"."desktop_state"`);
    await q.query(`DROP INDEX "public"."uq_templates_live_key"`);
    await q.query(`DROP INDEX "public"."uq_templates_agent_ref"`);
    await q.query(`DROP TABLE "templates"`);
    await q.query(`DROP TYPE "public"."template_state"`);
    await q.query(`DROP TABLE "pools"`);
    await q.query(`DROP TYPE "public"."network_mode"`);
    await q.query(`DROP TYPE "public"."refresh_policy"`);
    await q.query(`DROP INDEX "public"."uq_image_versions_image_version"`);
    await q.query(`DROP TABLE "image_versions"`);
    await q.query(`DROP TYPE "public"."image_version_state"`);
    await q.query(`DROP TABLE "golden_images"`);
    await q.query(`DROP INDEX "public"."ix_audit_events_at"`);
    await q.query(`DROP INDEX "public"."ix_audit_events_action"`);
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP TYPE "public"."user_role"`);
    await q.query(`DROP TABLE "agents"`);
    await q.query(`DROP TYPE "public"."agent_state"`);
  }
}
