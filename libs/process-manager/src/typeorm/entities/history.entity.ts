import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'pm_history', synchronize: false })
export class HistoryEntity {
  @PrimaryColumn('uuid', { name: 'process_id' }) processId!: string;
  @PrimaryColumn('int', { name: 'seq' }) seq!: number;
  @Column({ name: 'message_type', type: 'varchar', length: 200 }) messageType!: string;
  @Column({ name: 'message_id', type: 'varchar', length: 200 }) messageId!: string;
  @Column({ name: 'outcome', type: 'varchar', length: 20 }) outcome!: string;
  @Column({ name: 'from_state', type: 'varchar', length: 200, nullable: true }) fromState!: string | null;
  @Column({ name: 'to_state', type: 'varchar', length: 200, nullable: true }) toState!: string | null;
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: string;
  @Column({ name: 'commands', type: 'jsonb' }) commands!: unknown[];
  @Column({ name: 'error', type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'note', type: 'text', nullable: true }) note!: string | null;
  @Column({ name: 'at', type: 'timestamptz' }) at!: Date;
  @Column({ name: 'input_payload', type: 'jsonb', nullable: true }) inputPayload!: unknown;
  @Column({ name: 'input_metadata', type: 'jsonb', nullable: true }) inputMetadata!: object | null;
  @Column({ name: 'state', type: 'jsonb', nullable: true }) state!: object | null;
  @Column({ name: 'state_version', type: 'int', nullable: true }) stateVersion!: number | null;
}
