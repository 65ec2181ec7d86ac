import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets PostgreSQL update an instance's row in place (a HOT update) on most steps. A step writes
 * `updated_at`; while an index covered that column, every step also wrote a new entry into each of
 * pm_process's indexes. Stuck detection, its only reader, runs once a minute and now reads the live
 * instances through pm_process_active_key_uq instead. The fill factor leaves each page room for the
 * new row versions; it applies to pages written from now on, so no table is rewritten.
 */
export class InPlaceStepUpdates1796300000000 implements MigrationInterface {
  name = 'InPlaceStepUpdates1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS pm_process_live_updated_idx`);
    await queryRunner.query(`ALTER TABLE pm_process SET (fillfactor = 80)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pm_process RESET (fillfactor)`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_process_live_updated_idx ON pm_process (updated_at) WHERE status IN ('running', 'compensating')`,
    );
  }
}
