import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Service-wide settings an admin can change at run time. */
@Entity('settings')
export class Setting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
