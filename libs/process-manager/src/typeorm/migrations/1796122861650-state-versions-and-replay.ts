import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * State versions and replayable history: each instance records the version of the definition its
 * state was written with (existing rows are version 1), and each history row keeps the step's input
 * message (payload, metadata), the state after the step and its version, so `verify()` can replay it.
 * Adding nullable or constant-default columns rewrites no table.
 */
export class StateVersionsAndReplay1796122861650 implements MigrationInterface {
  name = 'StateVersionsAndReplay1796122861650';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pm_process ADD COLUMN state_version int NOT NULL DEFAULT 1`);
    await queryRunner.query(`
      ALTER TABLE pm_history
        ADD COLUMN input_payload jsonb,
        ADD COLUMN input_metadata jsonb,
        ADD COLUMN state jsonb,
        ADD COLUMN state_version int`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE pm_history
        DROP COLUMN IF EXISTS state_version,
        DROP COLUMN IF EXISTS state,
        DROP COLUMN IF EXISTS input_metadata,
        DROP COLUMN IF EXISTS input_payload`);
    await queryRunner.query(`ALTER TABLE pm_process DROP COLUMN IF EXISTS state_version`);
  }
}
