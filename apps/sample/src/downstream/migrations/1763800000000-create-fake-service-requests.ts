import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFakeServiceRequests1763800000000 implements MigrationInterface {
  name = 'CreateFakeServiceRequests1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE fake_service_requests (
        id varchar(200) PRIMARY KEY,
        command_type varchar(200) NOT NULL,
        payload jsonb NOT NULL,
        correlation_id varchar(200),
        due_at timestamptz NOT NULL,
        answered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX fake_service_requests_pending_idx ON fake_service_requests (due_at) WHERE answered_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE fake_service_requests`);
  }
}
