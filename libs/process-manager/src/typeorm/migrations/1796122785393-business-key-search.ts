import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search by business key in any status (`list({ correlationKey })`): the instances holding the key as
 * their correlation key, newest first, and those associated with it under any type. `IF NOT EXISTS`, so
 * on tables too big to lock while an index builds you can create them `CONCURRENTLY` beforehand.
 */
export class BusinessKeySearch1796122785393 implements MigrationInterface {
  name = 'BusinessKeySearch1796122785393';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_process_correlation_key_idx ON pm_process (correlation_key, started_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_association_value_only_idx ON pm_association (value)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS pm_association_value_only_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS pm_process_correlation_key_idx`);
  }
}
