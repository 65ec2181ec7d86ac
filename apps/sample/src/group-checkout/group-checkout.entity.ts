import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type GroupCheckoutStatus = 'checking-out' | 'completed' | 'failed';

@Entity({ name: 'group_checkouts' })
export class GroupCheckoutRecord {
  @PrimaryColumn({ name: 'id', type: 'uuid' }) id!: string;
  @Column({ name: 'guests', type: 'jsonb' }) guests!: string[];
  /** Guests whose checkout the fake front desk fails. */
  @Column({ name: 'simulate', type: 'jsonb' }) simulate!: { failGuests?: string[] };
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: GroupCheckoutStatus;
  @Column({ name: 'failed_guests', type: 'jsonb', nullable: true }) failedGuests!:
    { guestId: string; reason: string }[] | null;
  @Column({ name: 'process_id', type: 'uuid', nullable: true }) processId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
