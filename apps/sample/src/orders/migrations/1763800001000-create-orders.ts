import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1763800001000 implements MigrationInterface {
  name = 'CreateOrders1763800001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        items jsonb NOT NULL,
        total numeric(12, 2) NOT NULL,
        simulate jsonb NOT NULL DEFAULT '{}',
        status varchar(20) NOT NULL,
        failure_reason text,
        tracking_number varchar(100),
        process_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE orders`);
  }
}
