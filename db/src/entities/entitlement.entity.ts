import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, RefersTo } from './columns';
import { Group } from './group.entity';
import { Pool } from './pool.entity';
import { User } from './user.entity';

/** Grants one user or one group the right to open desktops of a pool. */
@Entity('entitlements')
@Check('ck_entitlements_one_subject', '("user_id" IS NULL) <> ("group_id" IS NULL)')
@Index('uq_entitlements_pool_user', ['poolId', 'userId'], {
  unique: true,
  where: '"user_id" IS NOT NULL',
})
@Index('uq_entitlements_pool_group', ['poolId', 'groupId'], {
  unique: true,
  where: '"group_id" IS NOT NULL',
})
export class Entitlement {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  poolId!: string;

  @RefersTo(() => Pool, 'CASCADE')
  pool?: Pool;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @RefersTo(() => User, 'CASCADE')
  user?: User;

  @Column({ type: 'uuid', nullable: true })
  groupId!: string | null;

  @RefersTo(() => Group, 'CASCADE')
  group?: Group;

  @CreatedAt()
  createdAt!: Date;
}
