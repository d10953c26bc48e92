import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { RefersTo } from './columns';
import { Agent } from './agent.entity';
import { Desktop } from './desktop.entity';
import { User } from './user.entity';

/**
 * The right to attach a user's persistent home disk: one row per disk (the primary key), so
 * at most one desktop holds it. Heartbeats of the holder's agent renew `expiresAt`; the agent
 * destroys the desktop once it passes (fencing), and another desktop may take the disk only
 * after it passed. The row goes when its desktop is destroyed (trigger in the migration).
 */
@Entity('user_disk_leases')
@Unique('uq_user_disk_leases_desktop', ['desktopId'])
@Index('ix_user_disk_leases_agent', ['agentId'])
export class UserDiskLease {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_user_disk_leases' })
  userId!: string;

  @RefersTo(() => User, 'CASCADE', { fk: 'FK_user_disk_leases_user' })
  user?: User;

  @Column({ type: 'uuid' })
  desktopId!: string;

  @RefersTo(() => Desktop, 'CASCADE', { fk: 'FK_user_disk_leases_desktop' })
  desktop?: Desktop;

  @Column({ type: 'uuid' })
  agentId!: string;

  @RefersTo(() => Agent, 'CASCADE', { fk: 'FK_user_disk_leases_agent' })
  agent?: Agent;

  /** The disk's path on the agent's host. */
  @Column({ type: 'text' })
  diskPath!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  acquiredAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;
}
