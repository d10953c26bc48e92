import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
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

  @ManyToOne(() => Pool, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'pool_id' })
  pool?: Pool;

  @Column({ type: 'uuid' })
  imageVersionId!: string;

  @ManyToOne(() => ImageVersion, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'image_version_id' })
  imageVersion?: ImageVersion;

  @Column({ type: 'uuid', nullable: true })
  agentId!: string | null;

  @ManyToOne(() => Agent, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'agent_id' })
  agent?: Agent;

  @Column({ type: 'uuid', nullable: true })
  templateId!: string | null;

  @ManyToOne(() => Template, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'template_id' })
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

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'assigned_user_id' })
  assignedUser?: User;

  /**
   * The user a `forking` desktop is being made for (assigned to them once it is ready), or the
   * user a `ready` spare is held for (until `heldUntil`; see desktops/holds.service.ts).
   */
  @Column({ type: 'uuid', nullable: true })
  reservedUserId!: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'reserved_user_id', foreignKeyConstraintName: 'FK_desktops_reserved_user' })
  reservedUser?: User;

  /** A held spare is destroyed after this (it was personalized for its user). */
  @Column({ type: 'timestamptz', nullable: true })
  heldUntil!: Date | null;

  /** When the fork hook made this desktop its user's (null: not yet, or a plain spare). */
  @Column({ type: 'timestamptz', nullable: true })
  personalizedAt!: Date | null;

  /** The owner's display session; null before the desktop is assigned. */
  @Column({ type: 'enum', enum: SessionState, enumName: 'session_state', nullable: true })
  sessionState!: SessionState | null;

  /** When the owner's last control connection closed (the disconnect timeout counts from it). */
  @Column({ type: 'timestamptz', nullable: true })
  disconnectedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  privateMib!: number | null;

  @Column({ type: 'integer', nullable: true })
  sharedMib!: number | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  readyAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  assignedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastActiveAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  destroyedAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
