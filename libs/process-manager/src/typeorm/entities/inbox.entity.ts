import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per message an instance (or stateless handler) handled; the key makes redelivery a no-op. */
@Entity({ name: 'pm_inbox', synchronize: false })
export class InboxEntity {
  @PrimaryColumn({ name: 'handler', type: 'varchar', length: 200 }) handler!: string;
  @PrimaryColumn({ name: 'message_id', type: 'varchar', length: 200 }) messageId!: string;
  @Column('uuid', { name: 'process_id', nullable: true }) processId!: string | null;
  @Column({ name: 'handled_at', type: 'timestamptz' }) handledAt!: Date;
}
