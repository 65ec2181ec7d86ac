import type { MigrationInterface, QueryRunner } from 'typeorm';

const ACTIVE = `status IN ('running', 'compensating') OR (status = 'failed' AND acknowledged_at IS NULL)`;

export class CreateProcessManagerTables1763700000000 implements MigrationInterface {
  name = 'CreateProcessManagerTables1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE pm_process (
        id uuid PRIMARY KEY,
        type varchar(200) NOT NULL,
        correlation_key varchar(400) NOT NULL,
        status varchar(20) NOT NULL,
        state_name varchar(200),
        state jsonb NOT NULL,
        version int NOT NULL,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        completed_at timestamptz,
        acknowledged_at timestamptz,
        stalled_at timestamptz,
        last_error text
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX pm_process_active_key_uq ON pm_process (type, correlation_key) WHERE ${ACTIVE}`,
    );
    await queryRunner.query(`CREATE INDEX pm_process_started_idx ON pm_process (started_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX pm_process_type_started_idx ON pm_process (type, started_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX pm_process_live_updated_idx ON pm_process (updated_at) WHERE status IN ('running', 'compensating')`,
    );
    await queryRunner.query(`
      CREATE TABLE pm_history (
        process_id uuid NOT NULL REFERENCES pm_process (id) ON DELETE CASCADE,
        seq int NOT NULL,
        message_type varchar(200) NOT NULL,
        message_id varchar(200) NOT NULL,
        outcome varchar(20) NOT NULL,
        from_state varchar(200),
        to_state varchar(200),
        status varchar(20) NOT NULL,
        commands jsonb NOT NULL,
        error text,
        note text,
        at timestamptz NOT NULL,
        CONSTRAINT pm_history_pk PRIMARY KEY (process_id, seq)
      )`);
    await queryRunner.query(`
      CREATE TABLE pm_association (
        type varchar(200) NOT NULL,
        key varchar(200) NOT NULL,
        value varchar(400) NOT NULL,
        process_id uuid NOT NULL REFERENCES pm_process (id) ON DELETE CASCADE,
        CONSTRAINT pm_association_pk PRIMARY KEY (type, key, value, process_id)
      )`);
    await queryRunner.query(`CREATE INDEX pm_association_value_idx ON pm_association (type, value)`);
    await queryRunner.query(`
      CREATE TABLE pm_inbox (
        handler varchar(200) NOT NULL,
        message_id varchar(200) NOT NULL,
        process_id uuid,
        handled_at timestamptz NOT NULL,
        CONSTRAINT pm_inbox_pk PRIMARY KEY (handler, message_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE pm_outbox (
        id uuid PRIMARY KEY,
        process_id uuid,
        kind varchar(10) NOT NULL,
        type varchar(200) NOT NULL,
        payload jsonb NOT NULL,
        metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        available_at timestamptz NOT NULL,
        dispatched_at timestamptz,
        failed_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        last_error text
      )`);
    await queryRunner.query(
      `CREATE INDEX pm_outbox_pending_idx ON pm_outbox (available_at) WHERE dispatched_at IS NULL AND failed_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX pm_outbox_process_idx ON pm_outbox (process_id)`);
    await queryRunner.query(`
      CREATE TABLE pm_timer (
        id uuid PRIMARY KEY,
        process_id uuid NOT NULL REFERENCES pm_process (id) ON DELETE CASCADE,
        process_type varchar(200) NOT NULL,
        name varchar(200),
        due_at timestamptz NOT NULL,
        locked_until timestamptz,
        message_type varchar(200) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX pm_timer_name_uq ON pm_timer (process_id, name) WHERE name IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX pm_timer_due_idx ON pm_timer (due_at)`);
    await queryRunner.query(`CREATE INDEX pm_timer_process_idx ON pm_timer (process_id)`);
    await queryRunner.query(`
      CREATE TABLE pm_dead_letter (
        id uuid PRIMARY KEY,
        handler varchar(200) NOT NULL,
        process_id uuid,
        correlation_key varchar(400),
        message_type varchar(200) NOT NULL,
        message_id varchar(200) NOT NULL,
        payload jsonb NOT NULL,
        metadata jsonb NOT NULL,
        status varchar(20) NOT NULL,
        attempts int NOT NULL,
        error text NOT NULL,
        stack text,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        next_attempt_at timestamptz,
        CONSTRAINT pm_dead_letter_delivery_uq UNIQUE (handler, message_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX pm_dead_letter_due_idx ON pm_dead_letter (next_attempt_at) WHERE status = 'retrying'`,
    );
    await queryRunner.query(`CREATE INDEX pm_dead_letter_process_idx ON pm_dead_letter (process_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'pm_dead_letter',
      'pm_timer',
      'pm_outbox',
      'pm_inbox',
      'pm_association',
      'pm_history',
      'pm_process',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
