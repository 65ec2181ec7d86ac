import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What retention (`pm:retention`) and the health indicator read by: one index per retention delete, one
 * for the age of the oldest undispatched outbox row, and the table resolved dead letters are kept in.
 * `IF NOT EXISTS`, so on tables too big to lock while an index builds you can create the indexes
 * `CONCURRENTLY` beforehand, with these names and definitions, and this migration leaves them be.
 */
export class RetentionAndHealth1796119985025 implements MigrationInterface {
  name = 'RetentionAndHealth1796119985025';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS pm_inbox_handled_idx ON pm_inbox (handled_at)`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_outbox_dispatched_idx ON pm_outbox (dispatched_at) WHERE dispatched_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_outbox_pending_created_idx ON pm_outbox (created_at) WHERE dispatched_at IS NULL AND failed_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_process_finished_idx ON pm_process (completed_at) WHERE status IN ('completed', 'cancelled')`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS pm_process_acknowledged_idx ON pm_process (acknowledged_at) WHERE acknowledged_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE pm_dead_letter_resolved (
        id uuid PRIMARY KEY,
        handler varchar(200) NOT NULL,
        process_id uuid,
        correlation_key varchar(400),
        message_type varchar(200) NOT NULL,
        message_id varchar(200) NOT NULL,
        payload jsonb NOT NULL,
        metadata jsonb NOT NULL,
        attempts int NOT NULL,
        error text NOT NULL,
        stack text,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        resolved_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX pm_dead_letter_resolved_at_idx ON pm_dead_letter_resolved (resolved_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS pm_dead_letter_resolved`);
    for (const index of [
      'pm_process_acknowledged_idx',
      'pm_process_finished_idx',
      'pm_outbox_pending_created_idx',
      'pm_outbox_dispatched_idx',
      'pm_inbox_handled_idx',
    ]) {
      await queryRunner.query(`DROP INDEX IF EXISTS ${index}`);
    }
  }
}
