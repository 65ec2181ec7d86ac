import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'pm_timer', synchronize: false })
export class TimerEntity {
  @PrimaryColumn('uuid', { name: 'id' }) id!: string;
  @Column('uuid', { name: 'process_id' }) processId!: string;
  @Column({ name: 'process_type', type: 'varchar', length: 200 }) processType!: string;
  @Column({ name: 'name', type: 'varchar', length: 200, nullable: true }) name!: string | null;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  /** Claimed by a poller until then (a crashed poller's claim lapses). */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil!: Date | null;
  @Column({ name: 'message_type', type: 'varchar', length: 200 }) messageType!: string;
  @Column({ name: 'payload', type: 'jsonb' }) payload!: object;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** W3C trace context of the step that scheduled it. */
  @Column({ name: 'traceparent', type: 'text', nullable: true }) traceparent!: string | null;
}
