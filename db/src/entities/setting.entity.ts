import { Column, Entity, PrimaryColumn } from 'typeorm';
import { UpdatedAt } from './columns';

/** Service-wide settings an admin can change at run time. */
@Entity('settings')
export class Setting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @UpdatedAt()
  updatedAt!: Date;
}
