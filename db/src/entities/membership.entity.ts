import { Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt, RefersTo } from './columns';
import { Group } from './group.entity';
import { User } from './user.entity';

@Entity('memberships')
@Index('ix_memberships_group', ['groupId'])
export class Membership {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'uuid' })
  groupId!: string;

  @RefersTo(() => User, 'CASCADE', { inverse: (u) => u.memberships })
  user?: User;

  @RefersTo(() => Group, 'CASCADE', { inverse: (g) => g.memberships })
  group?: Group;

  @CreatedAt()
  createdAt!: Date;
}
