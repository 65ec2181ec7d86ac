import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateGroupCheckouts1763800003000 implements MigrationInterface {
  name = 'CreateGroupCheckouts1763800003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE group_checkouts (
        id uuid PRIMARY KEY,
        guests jsonb NOT NULL,
        simulate jsonb NOT NULL DEFAULT '{}',
        status varchar(20) NOT NULL,
        failed_guests jsonb,
        process_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE group_checkouts`);
  }
}
