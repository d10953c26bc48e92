import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pool's CPU limit: the most CPU one of its desktops may use, in percent of one core
 * (10 up to its vCPUs × 100); null, as for every pool so far, is no limit.
 */
export class PoolCpuLimit1796720000000 implements MigrationInterface {
  name = 'PoolCpuLimit1796720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "pools" ADD "cpu_limit_percent" integer`);
    await q.query(
      `ALTER TABLE "pools" ADD CONSTRAINT "ck_pools_cpu_limit" CHECK ("cpu_limit_percent" IS NULL OR ("cpu_limit_percent" >= 10 AND "cpu_limit_percent" <= "vcpus" * 100))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "pools" DROP CONSTRAINT "ck_pools_cpu_limit"`);
    await q.query(`ALTER TABLE "pools" DROP COLUMN "cpu_limit_percent"`);
  }
}
