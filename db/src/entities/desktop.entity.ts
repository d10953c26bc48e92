import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, UpdatedAt, NullableTime, RefersTo } from './columns';
import { Agent } from './agent.entity';
import { DesktopState, SessionState } from './enums';
import { ImageVersion } from './image-version.entity';
import { Pool } from './pool.entity';
import { Template } from './template.entity';
import { User } from './user.entity';

/**
 * One forked child VM serving (or waiting to serve) one user.
 * Invariants live in the database: an assigned desktop has exactly one user, a spare has none,
 * a user holds at most one live desktop per pool, and an assignment cannot move to another user
 * (trigger in the first migration).
 */
@Entity('desktops')
@Check(
  'ck_desktops_assignment',
  `("state" NOT IN ('assigned', 'in_use') OR "assigned_user_id" IS NOT NULL) AND ("state" NOT IN ('forking', 'ready') OR "assigned_user_id" IS NULL)`,
)
@Check('ck_desktops_session_state', `"session_state" IS NULL OR "assigned_user_id" IS NOT NULL`)
@Index('uq_desktops_live_user_pool', ['poolId', 'assignedUserId'], {
  unique: true,
  where: `"assigned_user_id" IS NOT NULL AND "state" IN ('assigned', 'in_use')`,
})
@Index('uq_desktops_agent_vm', ['agentId', 'vmId'], { unique: true, where: '"vm_id" IS NOT NULL' })
@Index('ix_desktops_pool_state', ['poolId', 'state'])
@Index('uq_desktops_reservation', ['poolId', 'reservedUserId'], {
  unique: true,
  where: `"reserved_user_id" IS NOT NULL AND "state" IN ('forking', 'ready')`,
})
@Check(
  'ck_desktops_hold',
  `"held_until" IS NULL OR ("state" = 'ready' AND "reserved_user_id" IS NOT NULL)`,
)
export class Desktop {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  poolId!: string;

  @RefersTo(() => Pool, 'RESTRICT')
  pool?: Pool;

  @Column({ type: 'uuid' })
  imageVersionId!: string;

  @RefersTo(() => ImageVersion, 'RESTRICT')
  imageVersion?: ImageVersion;

  @Column({ type: 'uuid', nullable: true })
  agentId!: string | null;

  @RefersTo(() => Agent, 'SET NULL')
  agent?: Agent;

  @Column({ type: 'uuid', nullable: true })
  templateId!: string | null;

  @RefersTo(() => Template, 'SET NULL')
  template?: Template;

  /** The child's id on its agent. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  vmId!: string | null;

  @Column({
    type: 'enum',
    enum: DesktopState,
    enumName: 'desktop_state',
    default: DesktopState.Forking,
  })
  state!: DesktopState;

  @Column({ type: 'uuid', nullable: true })
  assignedUserId!: string | null;

  @RefersTo(() => User, 'RESTRICT')
  assignedUser?: User;

  /**
   * The user a `forking` desktop is being made for (assigned to them once it is ready), or the
   * user a `ready` spare is held for (until `heldUntil`; see desktops/holds.service.ts).
   */
  @Column({ type: 'uuid', nullable: true })
  reservedUserId!: string | null;

  @RefersTo(() => User, 'SET NULL', { fk: 'FK_desktops_reserved_user' })
  reservedUser?: User;

  /** A held spare is destroyed after this (it was personalized for its user). */
  @NullableTime()
  heldUntil!: Date | null;

  /** When the fork hook made this desktop its user's (null: not yet, or a plain spare). */
  @NullableTime()
  personalizedAt!: Date | null;

  /** The owner's display session; null before the desktop is assigned. */
  @Column({ type: 'enum', enum: SessionState, enumName: 'session_state', nullable: true })
  sessionState!: SessionState | null;

  /** When the owner's last control connection closed (the disconnect timeout counts from it). */
  @NullableTime()
  disconnectedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  privateMib!: number | null;

  @Column({ type: 'integer', nullable: true })
  sharedMib!: number | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @CreatedAt()
  createdAt!: Date;

  @NullableTime()
  readyAt!: Date | null;

  @NullableTime()
  assignedAt!: Date | null;

  @NullableTime()
  lastActiveAt!: Date | null;

  @NullableTime()
  destroyedAt!: Date | null;

  @UpdatedAt()
  updatedAt!: Date;
}
