import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import {
  Desktop,
  Entitlement,
  GoldenImage,
  Group,
  ImageVersion,
  ImageVersionState,
  Pool,
  RefreshPolicy,
  User,
} from '@forkdesk/db';
import { cpuLimitProblem } from '@forkdesk/broker-contract';
import { DataSource, EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { conflictOnDuplicate } from '../common/errors';
import { currentVersion } from '../images/images.service';
import { HOLDING_A_VM } from '../lifecycle/desktop-states';
import type {
  CreateEntitlementDto,
  CreatePoolDto,
  EntitlementView,
  PoolView,
  UpdatePoolDto,
} from './pools.dto';
import { PoolsRepository } from './pools.repository';

/** The version a pool's new desktops fork from: pinned, or the image's current one. */
export async function effectiveVersion(m: EntityManager, pool: Pool): Promise<ImageVersion | null> {
  if (pool.imageVersionId) return m.findOneBy(ImageVersion, { id: pool.imageVersionId });
  return currentVersion(m, pool.imageId);
}

@Injectable()
export class PoolsService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly repo: PoolsRepository,
  ) {}

  async list(): Promise<PoolView[]> {
    const pools = await this.ds.getRepository(Pool).find({ order: { name: 'ASC' } });
    return Promise.all(pools.map((p) => this.view(p)));
  }

  async get(id: string): Promise<PoolView> {
    const pool = await this.ds.getRepository(Pool).findOneBy({ id });
    if (!pool) throw new NotFoundException('pool not found');
    return this.view(pool);
  }

  private async view(p: Pool): Promise<PoolView> {
    return {
      id: p.id,
      name: p.name,
      imageId: p.imageId,
      imageVersionId: p.imageVersionId,
      effectiveVersionId: (await effectiveVersion(this.ds.manager, p))?.id ?? null,
      vcpus: p.vcpus,
      memoryMib: p.memoryMib,
      cpuLimitPercent: p.cpuLimitPercent,
      minSpare: p.minSpare,
      maxSize: p.maxSize,
      refreshPolicy: p.refreshPolicy,
      idleTimeoutMin: p.idleTimeoutMin,
      assignmentMode: p.assignmentMode,
      persistentHome: p.persistentHome,
      networkMode: p.networkMode,
      desktops: await this.repo.desktopCounts(p.id),
    };
  }

  /** A pinned version must belong to the pool's image and not be retired. */
  private async checkVersion(tx: EntityManager, imageId: string, versionId: string): Promise<void> {
    const v = await tx.findOneBy(ImageVersion, { id: versionId });
    if (!v || v.imageId !== imageId)
      throw new BadRequestException(["imageVersionId must be a version of the pool's image"]);
    if (v.state === ImageVersionState.Retired || v.state === ImageVersionState.Failed)
      throw new BadRequestException([`imageVersionId: version ${v.version} is ${v.state}`]);
  }

  private checkSize(minSpare: number, maxSize: number): void {
    if (minSpare > maxSize) throw new BadRequestException(['minSpare must not exceed maxSize']);
  }

  /** A CPU limit one desktop of `vcpus` vCPUs can reach, or none. */
  private checkCpuLimit(percent: number | null, vcpus: number): void {
    const problem = percent === null ? undefined : cpuLimitProblem(percent, vcpus);
    if (problem) throw new BadRequestException([problem]);
  }

  async create(dto: CreatePoolDto, actor: Actor): Promise<PoolView> {
    this.checkSize(dto.minSpare ?? 1, dto.maxSize ?? 10);
    this.checkCpuLimit(dto.cpuLimitPercent ?? null, dto.vcpus ?? 1);
    const pool = await conflictOnDuplicate(`pool "${dto.name}" already exists`, () =>
      this.ds.transaction(async (tx) => {
        if (!(await tx.existsBy(GoldenImage, { id: dto.imageId })))
          throw new BadRequestException(['imageId must name an existing image']);
        let imageVersionId = dto.imageVersionId ?? null;
        if (imageVersionId) await this.checkVersion(tx, dto.imageId, imageVersionId);
        // Pools that refresh nightly or never hold their version until told to move.
        const policy = dto.refreshPolicy ?? RefreshPolicy.OnLogoff;
        if (!imageVersionId && policy !== RefreshPolicy.OnLogoff)
          imageVersionId = (await currentVersion(tx, dto.imageId))?.id ?? null;
        const p = await tx.save(tx.create(Pool, { ...dto, imageVersionId }));
        await this.audit.record(tx, actor, {
          action: 'pool.create',
          targetType: 'pool',
          targetId: p.id,
          details: { ...dto },
        });
        return p;
      }),
    );
    return this.view(pool);
  }

  async update(id: string, dto: UpdatePoolDto, actor: Actor): Promise<PoolView> {
    const pool = await conflictOnDuplicate(`pool "${dto.name}" already exists`, () =>
      this.ds.transaction(async (tx) => {
        const p = await tx.findOne(Pool, { where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!p) throw new NotFoundException('pool not found');
        if (dto.imageId && dto.imageId !== p.imageId) {
          if (!(await tx.existsBy(GoldenImage, { id: dto.imageId })))
            throw new BadRequestException(['imageId must name an existing image']);
          if (dto.imageVersionId === undefined) p.imageVersionId = null;
        }
        Object.assign(p, dto);
        if (dto.imageVersionId) await this.checkVersion(tx, p.imageId, dto.imageVersionId);
        this.checkSize(p.minSpare, p.maxSize);
        this.checkCpuLimit(p.cpuLimitPercent, p.vcpus);
        await tx.save(p);
        await this.audit.record(tx, actor, {
          action: 'pool.update',
          targetType: 'pool',
          targetId: id,
          details: { ...dto },
        });
        return p;
      }),
    );
    return this.view(pool);
  }

  /** Only an empty pool goes; its finished desktops' rows go with it (the audit log stays). */
  async remove(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const p = await tx.findOne(Pool, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!p) throw new NotFoundException('pool not found');
      const live = await tx.countBy(Desktop, { poolId: id, state: In(HOLDING_A_VM) });
      if (live > 0)
        throw new ConflictException(
          `pool still has ${live} desktops: set maxSize/minSpare to 0 and log them off first`,
        );
      await tx.delete(Desktop, { poolId: id });
      await tx.delete(Pool, { id });
      await this.audit.record(tx, actor, {
        action: 'pool.delete',
        targetType: 'pool',
        targetId: id,
        details: { name: p.name },
      });
    });
  }

  async entitlements(poolId: string): Promise<EntitlementView[]> {
    if (!(await this.ds.getRepository(Pool).existsBy({ id: poolId })))
      throw new NotFoundException('pool not found');
    const rows = await this.ds.getRepository(Entitlement).find({
      where: { poolId },
      relations: { user: true, group: true },
      order: { createdAt: 'ASC' },
    });
    return rows.map((e) => ({
      id: e.id,
      poolId: e.poolId,
      userId: e.userId,
      groupId: e.groupId,
      name: e.user?.username ?? e.group?.name ?? '',
    }));
  }

  async entitle(poolId: string, dto: CreateEntitlementDto, actor: Actor): Promise<EntitlementView> {
    if ((dto.userId === undefined) === (dto.groupId === undefined))
      throw new BadRequestException(['give exactly one of userId and groupId']);
    return conflictOnDuplicate('already entitled', () =>
      this.ds.transaction(async (tx) => {
        if (!(await tx.existsBy(Pool, { id: poolId })))
          throw new NotFoundException('pool not found');
        const subject = dto.userId
          ? await tx.findOneBy(User, { id: dto.userId })
          : await tx.findOneBy(Group, { id: dto.groupId });
        if (!subject)
          throw new BadRequestException([
            dto.userId ? 'userId: no such user' : 'groupId: no such group',
          ]);
        const e = await tx.save(
          tx.create(Entitlement, {
            poolId,
            userId: dto.userId ?? null,
            groupId: dto.groupId ?? null,
          }),
        );
        await this.audit.record(tx, actor, {
          action: 'pool.entitle',
          targetType: 'pool',
          targetId: poolId,
          details: { entitlementId: e.id, userId: e.userId, groupId: e.groupId },
        });
        const name = subject instanceof User ? subject.username : subject.name;
        return { id: e.id, poolId, userId: e.userId, groupId: e.groupId, name };
      }),
    );
  }

  async revoke(poolId: string, entitlementId: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(Entitlement, { id: entitlementId, poolId });
      if (!r.affected) throw new NotFoundException('entitlement not found');
      await this.audit.record(tx, actor, {
        action: 'pool.revoke',
        targetType: 'pool',
        targetId: poolId,
        details: { entitlementId },
      });
    });
  }
}
