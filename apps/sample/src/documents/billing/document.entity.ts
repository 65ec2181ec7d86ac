import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type DocumentStatus = 'issued' | 'voiding' | 'voided';

/** A billing document (invoice) issued to a customer. */
@Entity({ name: 'documents' })
export class BillingDocument {
  @PrimaryColumn({ name: 'id', type: 'uuid' }) id!: string;
  @Column({ name: 'customer_id', type: 'varchar', length: 100 }) customerId!: string;
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: DocumentStatus;
  @CreateDateColumn({ name: 'issued_at', type: 'timestamptz' }) issuedAt!: Date;
  @Column({ name: 'voided_at', type: 'timestamptz', nullable: true }) voidedAt!: Date | null;
}
