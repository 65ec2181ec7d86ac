import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { OrderItem, OrderSimulation } from './domain/index.js';

/** The order's outcome as its fulfilment published it; `processing` until then. */
export type OrderStatus = 'processing' | 'completed' | 'compensated' | 'cancelled';

const numeric = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'orders' })
export class Order {
  @PrimaryColumn({ name: 'id', type: 'uuid' }) id!: string;
  @Column({ name: 'items', type: 'jsonb' }) items!: OrderItem[];
  @Column({ name: 'total', type: 'numeric', precision: 12, scale: 2, transformer: numeric }) total!: number;
  /** Failures the fake services inject for this order. */
  @Column({ name: 'simulate', type: 'jsonb' }) simulate!: OrderSimulation;
  @Column({ name: 'status', type: 'varchar', length: 20 }) status!: OrderStatus;
  @Column({ name: 'failure_reason', type: 'text', nullable: true }) failureReason!: string | null;
  @Column({ name: 'tracking_number', type: 'varchar', length: 100, nullable: true }) trackingNumber!:
    string | null;
  @Column({ name: 'process_id', type: 'uuid', nullable: true }) processId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
