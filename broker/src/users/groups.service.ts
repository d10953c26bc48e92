import { Injectable, NotFoundException } from '@nestjs/common';
import { Group, Membership, User } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { createNamed } from '../audit/create-named';
import type { Actor } from '../common/actor';
import { conflictOnDuplicate } from '../common/errors';
import type { CreateGroupDto, GroupView } from './users.dto';

@Injectable()
export class GroupsService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<GroupView[]> {
    const groups = await this.ds.getRepository(Group).find({
      relations: { memberships: { user: true } },
      order: { name: 'ASC' },
    });
    return groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      members: (g.memberships ?? []).flatMap((m) =>
        m.user ? [{ id: m.user.id, username: m.user.username }] : [],
      ),
    }));
  }

  async create(dto: CreateGroupDto, actor: Actor): Promise<GroupView> {
    const g = await createNamed(this.ds, this.audit, actor, 'group', Group, {
      name: dto.name,
      description: dto.description ?? '',
    });
    return { id: g.id, name: g.name, description: g.description, members: [] };
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(Group, { id });
      if (!r.affected) throw new NotFoundException('group not found');
      await this.audit.record(tx, actor, {
        action: 'group.delete',
        targetType: 'group',
        targetId: id,
      });
    });
  }

  async addMember(groupId: string, userId: string, actor: Actor): Promise<void> {
    await conflictOnDuplicate('already a member', () =>
      this.ds.transaction(async (tx) => {
        if (!(await tx.existsBy(Group, { id: groupId })))
          throw new NotFoundException('group not found');
        if (!(await tx.existsBy(User, { id: userId })))
          throw new NotFoundException('user not found');
        await tx.insert(Membership, { groupId, userId });
        await this.audit.record(tx, actor, {
          action: 'group.member_add',
          targetType: 'group',
          targetId: groupId,
          details: { userId },
        });
      }),
    );
  }

  async removeMember(groupId: string, userId: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(Membership, { groupId, userId });
      if (!r.affected) throw new NotFoundException('no such membership');
      await this.audit.record(tx, actor, {
        action: 'group.member_remove',
        targetType: 'group',
        targetId: groupId,
        details: { userId },
      });
    });
  }
}
