import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A delivery that failed: `retrying` (with backoff) until attempts run out, then `dead`. */
@Entity({ name: 'pm_dead_letter', synchronize: false })
export class DeadLetterEntity {
  @PrimaryColumn('uuid', { name: 'id' }) id!: string;
  /** Process type, or `Class.method` of a stateless handler. */
  @Column({ name: 'handler', type: 'varchar', length: 200 }) handler!: string;
  @Column('uuid', { name: 'process_id', nullable: true }) processId!: string | null;
  @Column({ name: 'correlation_key', type: 'varchar', length: 400, nullable: true }) correlationKey!:
    string | null;
  @Column({ name: 'message_type', type: 'varchar', length: 200 }) messageType!: string;
  @Column({ name: 'message_id', type: 'varchar', length: 200 }) messageId!: string;
  @Column({ name: 'payload', type: 'jsonb' }) payload!: object;
  @Column({ name: 'metadata', type: 'jsonb' }) metadata!: object;
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: string;
  @Column({ name: 'attempts', type: 'int' }) attempts!: number;
  @Column({ name: 'error', type: 'text' }) error!: string;
  @Column({ name: 'stack', type: 'text', nullable: true }) stack!: string | null;
  @Column({ name: 'first_failed_at', type: 'timestamptz' }) firstFailedAt!: Date;
  @Column({ name: 'last_failed_at', type: 'timestamptz' }) lastFailedAt!: Date;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
}
