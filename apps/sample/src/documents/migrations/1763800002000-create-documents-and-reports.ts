import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDocumentsAndReports1763800002000 implements MigrationInterface {
  name = 'CreateDocumentsAndReports1763800002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE documents (
        id uuid PRIMARY KEY,
        customer_id varchar(100) NOT NULL,
        status varchar(20) NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now(),
        voided_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE reports (
        id uuid PRIMARY KEY,
        customer_id varchar(100) NOT NULL,
        published_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE report_lines (
        document_id uuid PRIMARY KEY,
        customer_id varchar(100) NOT NULL,
        report_id uuid REFERENCES reports (id),
        voided_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX report_lines_customer_idx ON report_lines (customer_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE report_lines`);
    await queryRunner.query(`DROP TABLE reports`);
    await queryRunner.query(`DROP TABLE documents`);
  }
}
