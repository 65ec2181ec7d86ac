import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotifications1763800004000 implements MigrationInterface {
  name = 'CreateNotifications1763800004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind varchar(100) NOT NULL,
        reference varchar(200) NOT NULL,
        message text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX notifications_reference_idx ON notifications (reference)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notifications`);
  }
}
