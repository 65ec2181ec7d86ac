import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Reports' own copy of an issued document: in a published report once `reportId` is set. */
@Entity({ name: 'report_lines' })
export class ReportLine {
  @PrimaryColumn({ name: 'document_id', type: 'uuid' }) documentId!: string;
  @Column({ name: 'customer_id', type: 'varchar', length: 100 }) customerId!: string;
  @Column({ name: 'report_id', type: 'uuid', nullable: true }) reportId!: string | null;
  @Column({ name: 'voided_at', type: 'timestamptz', nullable: true }) voidedAt!: Date | null;
}
