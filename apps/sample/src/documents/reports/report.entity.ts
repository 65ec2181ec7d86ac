import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'reports' })
export class Report {
  @PrimaryColumn({ name: 'id', type: 'uuid' }) id!: string;
  @Column({ name: 'customer_id', type: 'varchar', length: 100 }) customerId!: string;
  @Column({ name: 'published_at', type: 'timestamptz' }) publishedAt!: Date;
}
