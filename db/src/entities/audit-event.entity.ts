import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { RefersTo } from './columns';
import { User } from './user.entity';

/** Who did what, when, from where. Append-only. */
@Entity('audit_events')
@Index('ix_audit_events_at', ['at'])
@Index('ix_audit_events_action', ['action', 'at'])
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @RefersTo(() => User, 'SET NULL')
  actorUser?: User;

  /** 'user:<name>', 'agent:<name>' or 'system'. */
  @Column({ type: 'varchar', length: 160 })
  actor!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'jsonb', default: {} })
  details!: Record<string, unknown>;
}
