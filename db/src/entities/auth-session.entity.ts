import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAt, RefersTo } from './columns';
import { User } from './user.entity';

/** A login session; the cookie holds a random token, the table only its sha256. */
@Entity('auth_sessions')
@Index('ix_auth_sessions_user', ['userId'])
@Index('ix_auth_sessions_expires', ['expiresAt'])
@Unique('uq_auth_sessions_token_hash', ['tokenHash'])
export class AuthSession {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_auth_sessions' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @RefersTo(() => User, 'CASCADE', { fk: 'FK_auth_sessions_user' })
  user?: User;

  /** The strategy that authenticated the user: 'local' today, 'oidc'/'ldap' later. */
  @Column({ type: 'varchar', length: 32, default: 'local' })
  strategy!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @CreatedAt()
  createdAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastSeenAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;
}
