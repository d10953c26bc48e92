import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { NullableTime, RefersTo } from './columns';
import { Desktop } from './desktop.entity';
import { SessionMode } from './enums';
import { User } from './user.entity';

/** A display connection to a desktop: the owner's (control) or an admin's shadow (view). */
@Entity('desktop_sessions')
@Index('uq_desktop_sessions_open_control', ['desktopId'], {
  unique: true,
  where: `"ended_at" IS NULL AND "mode" = 'control'`,
})
@Index('ix_desktop_sessions_user', ['userId', 'startedAt'])
export class DesktopSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  desktopId!: string;

  @RefersTo(() => Desktop, 'CASCADE')
  desktop?: Desktop;

  @Column({ type: 'uuid' })
  userId!: string;

  @RefersTo(() => User, 'CASCADE')
  user?: User;

  @Column({
    type: 'enum',
    enum: SessionMode,
    enumName: 'session_mode',
    default: SessionMode.Control,
  })
  mode!: SessionMode;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @NullableTime()
  endedAt!: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  endReason!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  clientIp!: string | null;
}
