import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryGeneratedColumn('uuid', { name: 'id' }) id!: string;
  @Column({ name: 'kind', type: 'varchar', length: 100 }) kind!: string;
  @Column({ name: 'reference', type: 'varchar', length: 200 }) reference!: string;
  @Column({ name: 'message', type: 'text' }) message!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
