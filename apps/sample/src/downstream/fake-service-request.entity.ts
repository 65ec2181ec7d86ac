import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A command a fake downstream service accepted and will answer when `dueAt` comes. */
@Entity({ name: 'fake_service_requests' })
export class FakeServiceRequest {
  /** `messageId` of the command: a redelivered command is accepted once. */
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 200 }) id!: string;
  @Column({ name: 'command_type', type: 'varchar', length: 200 }) commandType!: string;
  @Column({ name: 'payload', type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ name: 'correlation_id', type: 'varchar', length: 200, nullable: true }) correlationId!:
    string | null;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true }) answeredAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
