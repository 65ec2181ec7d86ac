import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Mirrors migration 1763700000000; the migration is the source of truth (it adds the partial unique index). */
@Entity({ name: 'pm_process', synchronize: false })
export class ProcessEntity {
  @PrimaryColumn('uuid', { name: 'id' }) id!: string;
  @Column({ name: 'type', type: 'varchar', length: 200 }) type!: string;
  @Column({ name: 'correlation_key', type: 'varchar', length: 400 }) correlationKey!: string;
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: string;
  @Column({ name: 'state_name', type: 'varchar', length: 200, nullable: true }) stateName!: string | null;
  @Column({ name: 'state', type: 'jsonb' }) state!: object;
  @Column({ name: 'version', type: 'int' }) version!: number;
  @Column({ name: 'state_version', type: 'int', default: 1 }) stateVersion!: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true }) acknowledgedAt!: Date | null;
  @Column({ name: 'stalled_at', type: 'timestamptz', nullable: true }) stalledAt!: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
}
