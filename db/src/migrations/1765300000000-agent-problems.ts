import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an agent is not healthy, in words an admin can act on: set when its heartbeats stop or
 * are refused (with the cause), cleared by its next accepted heartbeat. An agent is never
 * Draining or Lost without one.
 */
export class AgentProblems1765300000000 implements MigrationInterface {
  name = 'AgentProblems1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "agents" ADD "problem" text`);
    await q.query(`ALTER TABLE "agents" ADD "problem_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "agents" DROP COLUMN "problem_at"`);
    await q.query(`ALTER TABLE "agents" DROP COLUMN "problem"`);
  }
}
