import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'pm_outbox', synchronize: false })
export class OutboxEntity {
  /** The message's own (deterministic) messageId. */
  @PrimaryColumn('uuid', { name: 'id' }) id!: string;
  @Column('uuid', { name: 'process_id', nullable: true }) processId!: string | null;
  @Column({ name: 'kind', type: 'varchar', length: 10 }) kind!: string;
  @Column({ name: 'type', type: 'varchar', length: 200 }) type!: string;
  @Column({ name: 'payload', type: 'jsonb' }) payload!: object;
  @Column({ name: 'metadata', type: 'jsonb' }) metadata!: object;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** When the relay may take the row: after the fast path's lease, or after a failed attempt's backoff. */
  @Column({ name: 'available_at', type: 'timestamptz' }) availableAt!: Date;
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true }) dispatchedAt!: Date | null;
  /** Attempts ran out: the process was told (CommandDispatchFailed) and the relay leaves the row. */
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true }) failedAt!: Date | null;
  @Column({ name: 'attempts', type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
}
