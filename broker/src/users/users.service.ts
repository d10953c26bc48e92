import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Desktop, hashPassword, User } from '@forkdesk/db';
import { DataSource, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { SessionStore } from '../auth/session.store';
import type { Actor } from '../common/actor';
import { DisplayRevoker } from '../displays/display-revoker';
import { conflictOnDuplicate, isForeignKeyViolation } from '../common/errors';
import { LIVE_STATES } from '../lifecycle/desktop-states';
import { releaseHolds } from '../desktops/holds.repository';
import type { CreateUserDto, UpdateUserDto, UserView } from './users.dto';

@Injectable()
export class UsersService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly sessions: SessionStore,
    private readonly displays: DisplayRevoker,
  ) {}

  async list(): Promise<UserView[]> {
    const users = await this.ds.getRepository(User).find({
      relations: { memberships: { group: true } },
      order: { username: 'ASC' },
    });
    return users.map((u) => this.view(u));
  }

  private view(u: User): UserView {
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      disabled: u.disabled,
      lockedUntil: u.lockedUntil,
      createdAt: u.createdAt,
      groups: (u.memberships ?? []).flatMap((m) =>
        m.group ? [{ id: m.group.id, name: m.group.name }] : [],
      ),
    };
  }

  async create(dto: CreateUserDto, actor: Actor): Promise<UserView> {
    const passwordHash = await hashPassword(dto.password);
    const user = await conflictOnDuplicate(`user "${dto.username}" already exists`, () =>
      this.ds.transaction(async (tx) => {
        const u = await tx.save(
          tx.create(User, {
            username: dto.username,
            displayName: dto.displayName ?? dto.username,
            role: dto.role,
            passwordHash,
          }),
        );
        await this.audit.record(tx, actor, {
          action: 'user.create',
          targetType: 'user',
          targetId: u.id,
          details: { username: u.username, role: u.role },
        });
        return u;
      }),
    );
    return this.view(user);
  }

  async update(id: string, dto: UpdateUserDto, actor: Actor): Promise<UserView> {
    const passwordHash = dto.password ? await hashPassword(dto.password) : undefined;
    await this.ds.transaction(async (tx) => {
      const u = await tx.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!u) throw new NotFoundException('user not found');
      if (id === actor.userId && (dto.disabled || dto.role === 'user')) {
        throw new ConflictException('you cannot disable or demote yourself');
      }
      const patch: Partial<User> = {};
      if (dto.displayName !== undefined) patch.displayName = dto.displayName;
      if (dto.role !== undefined) patch.role = dto.role;
      if (dto.disabled !== undefined) patch.disabled = dto.disabled;
      if (passwordHash) Object.assign(patch, { passwordHash, failedLogins: 0, lockedUntil: null });
      await tx.update(User, { id }, patch);
      // A new password, a disabled account or a changed role: old sessions end.
      if (passwordHash || dto.disabled || (dto.role && dto.role !== u.role)) {
        await this.sessions.deleteForUser(tx, id);
      }
      await this.audit.record(tx, actor, {
        action: 'user.update',
        targetType: 'user',
        targetId: id,
        details: {
          fields: Object.keys(dto).filter((k) => k !== 'password'),
          passwordReset: Boolean(passwordHash),
        },
      });
    });
    // Whoever held the old password (or the disabled account) loses the desktop's screen too.
    if (passwordHash || dto.disabled)
      await this.displays.user(id, dto.disabled ? 'user disabled' : 'password reset');
    const fresh = await this.ds.getRepository(User).findOneOrFail({
      where: { id },
      relations: { memberships: { group: true } },
    });
    return this.view(fresh);
  }

  async remove(id: string, actor: Actor): Promise<void> {
    if (id === actor.userId) throw new ConflictException('you cannot delete yourself');
    if (await releaseHolds(this.ds.manager, id))
      throw new ConflictException(
        'a spare desktop was held for this user and is being released: try again in a few seconds',
      );
    try {
      await this.ds.transaction(async (tx) => {
        const u = await tx.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!u) throw new NotFoundException('user not found');
        const live = await tx.count(Desktop, {
          where: { assignedUserId: id, state: In(LIVE_STATES) },
        });
        if (live > 0) throw new ConflictException('user still has desktops: log them off first');
        await tx.delete(User, { id });
        await this.audit.record(tx, actor, {
          action: 'user.delete',
          targetType: 'user',
          targetId: id,
          details: { username: u.username },
        });
      });
    } catch (err) {
      // Desktops keep their user for the record (the assignment is final).
      if (isForeignKeyViolation(err)) {
        throw new ConflictException(
          'user has desktop history: disable the account instead (PATCH disabled: true)',
        );
      }
      throw err;
    }
  }
}
