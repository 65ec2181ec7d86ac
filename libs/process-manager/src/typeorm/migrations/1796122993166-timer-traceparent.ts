import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context of the step that scheduled a timer, so its firing (days later) continues that
 * trace. Outbox rows and dead letters carry it in their metadata; timers have no metadata column.
 * A nullable column without a default rewrites no table.
 */
export class TimerTraceparent1796122993166 implements MigrationInterface {
  name = 'TimerTraceparent1796122993166';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pm_timer ADD COLUMN IF NOT EXISTS traceparent text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pm_timer DROP COLUMN IF EXISTS traceparent`);
  }
}
