import { Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'pm_association', synchronize: false })
export class AssociationEntity {
  @PrimaryColumn({ name: 'type', type: 'varchar', length: 200 }) type!: string;
  @PrimaryColumn({ name: 'key', type: 'varchar', length: 200 }) key!: string;
  @PrimaryColumn({ name: 'value', type: 'varchar', length: 400 }) value!: string;
  @PrimaryColumn('uuid', { name: 'process_id' }) processId!: string;
}
