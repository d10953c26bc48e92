import { Column, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, UpdatedAt, NullableTime } from './columns';
import { UserRole } from './enums';
import type { Membership } from './membership.entity';

@Entity('users')
@Index('uq_users_username', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Unique case-insensitively (expression index lower(username) in the migration). */
  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ type: 'varchar', length: 128, default: '' })
  displayName!: string;

  /** argon2id; null for accounts of an external provider. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'enum', enum: UserRole, enumName: 'user_role', default: UserRole.User })
  role!: UserRole;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ type: 'integer', default: 0 })
  failedLogins!: number;

  @NullableTime()
  lockedUntil!: Date | null;

  @OneToMany('Membership', (m: Membership) => m.user)
  memberships?: Membership[];

  @CreatedAt()
  createdAt!: Date;

  @UpdatedAt()
  updatedAt!: Date;
}
