import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Membership } from './membership.entity';

@Entity('groups')
export class Group {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @OneToMany('Membership', (m: Membership) => m.group)
  memberships?: Membership[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
