import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { GoldenImage, ImageVersion, ImageVersionState, Pool } from '@forkdesk/db';
import { readFile, stat } from 'fs/promises';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { createNamed } from '../audit/create-named';
import type { Actor } from '../common/actor';
import type { CreateImageDto, ImageView, ImportVersionDto, VersionView } from './images.dto';
import { parseManifest } from './manifest';

const versionView = (v: ImageVersion): VersionView => ({
  id: v.id,
  imageId: v.imageId,
  version: v.version,
  state: v.state,
  recipeHash: v.recipeHash,
  diskPath: v.diskPath,
  sizeBytes: Number(v.sizeBytes),
  publishedAt: v.publishedAt,
  createdAt: v.createdAt,
});

/** The published version with the latest publication is the one pools follow. */
export async function currentVersion(
  m: EntityManager,
  imageId: string,
): Promise<ImageVersion | null> {
  return m.findOne(ImageVersion, {
    where: { imageId, state: ImageVersionState.Published },
    order: { publishedAt: 'DESC', version: 'DESC' },
  });
}

@Injectable()
export class ImagesService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<ImageView[]> {
    const images = await this.ds.getRepository(GoldenImage).find({ order: { name: 'ASC' } });
    return Promise.all(
      images.map(async (i) => ({
        id: i.id,
        name: i.name,
        description: i.description,
        createdAt: i.createdAt,
        currentVersionId: (await currentVersion(this.ds.manager, i.id))?.id ?? null,
      })),
    );
  }

  async create(dto: CreateImageDto, actor: Actor): Promise<ImageView> {
    const image = await createNamed(this.ds, this.audit, actor, 'image', GoldenImage, {
      name: dto.name,
      description: dto.description ?? '',
    });
    return { ...image, currentVersionId: null };
  }

  async versions(imageId: string): Promise<VersionView[]> {
    if (!(await this.ds.getRepository(GoldenImage).existsBy({ id: imageId })))
      throw new NotFoundException('image not found');
    const rows = await this.ds
      .getRepository(ImageVersion)
      .find({ where: { imageId }, order: { version: 'DESC' } });
    return rows.map(versionView);
  }

  /** Records a build of the image builder as the image's next version (state ready). */
  async importVersion(imageId: string, dto: ImportVersionDto, actor: Actor): Promise<VersionView> {
    if ((dto.manifestPath === undefined) === (dto.manifest === undefined)) {
      throw new BadRequestException(['give exactly one of manifestPath and manifest']);
    }
    const manifest = parseManifest(dto.manifest ?? (await this.readManifest(dto.manifestPath!)));
    const size = await stat(manifest.disk).catch(() => null);
    if (!size?.isFile())
      throw new BadRequestException([`manifest.disk ${manifest.disk} is not a file`]);
    const v = await this.ds.transaction(async (tx) => {
      // The image row lock numbers concurrent imports one after the other.
      const image = await tx.findOne(GoldenImage, {
        where: { id: imageId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!image) throw new NotFoundException('image not found');
      const dup = await tx.findOneBy(ImageVersion, { imageId, recipeHash: manifest.hash });
      if (dup) throw new ConflictException(`this build is already version ${dup.version}`);
      const last = (await tx.maximum(ImageVersion, 'version', { imageId })) ?? 0;
      const version = await tx.save(
        tx.create(ImageVersion, {
          imageId,
          version: last + 1,
          state: ImageVersionState.Ready,
          manifest,
          recipeHash: manifest.hash,
          diskPath: manifest.disk,
          kernelPath: manifest.kernel ?? null,
          initrdPath: manifest.initrd ?? null,
          sizeBytes: String(size.size),
        }),
      );
      await this.audit.record(tx, actor, {
        action: 'image.version_import',
        targetType: 'image_version',
        targetId: version.id,
        details: { image: image.name, version: version.version, hash: manifest.hash },
      });
      return version;
    });
    return versionView(v);
  }

  private async readManifest(path: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new BadRequestException([
        `manifestPath: cannot read ${path}: ${(err as Error).message}`,
      ]);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new BadRequestException([`manifestPath: ${path} is not JSON`]);
    }
  }

  /** Makes a version the image's current one: pools following the image move to it. */
  publish(id: string, actor: Actor): Promise<VersionView> {
    return this.change(id, actor, 'image.version_publish', async (tx, v) => {
      if (v.state !== ImageVersionState.Ready && v.state !== ImageVersionState.Published)
        throw new ConflictException(
          `version ${v.version} is ${v.state}; only ready versions publish`,
        );
      v.state = ImageVersionState.Published;
      v.publishedAt = new Date();
      await tx.save(v);
    });
  }

  /** Withdraws the current version; the previously published one becomes current again. */
  rollback(id: string, actor: Actor): Promise<VersionView> {
    return this.change(id, actor, 'image.version_rollback', async (tx, v) => {
      const current = await currentVersion(tx, v.imageId);
      if (current?.id !== v.id)
        throw new ConflictException(`version ${v.version} is not the image's current version`);
      const others = await tx.countBy(ImageVersion, {
        imageId: v.imageId,
        state: ImageVersionState.Published,
      });
      if (others < 2) throw new ConflictException('no earlier published version to roll back to');
      await this.refusePinned(tx, v);
      v.state = ImageVersionState.Ready;
      v.publishedAt = null;
      await tx.save(v);
    });
  }

  /** Retires a version: never forked again. Pools pinned to it must move first. */
  retire(id: string, actor: Actor): Promise<VersionView> {
    return this.change(id, actor, 'image.version_retire', async (tx, v) => {
      if (v.state === ImageVersionState.Retired) return;
      await this.refusePinned(tx, v);
      v.state = ImageVersionState.Retired;
      v.publishedAt = null;
      await tx.save(v);
    });
  }

  private async refusePinned(tx: EntityManager, v: ImageVersion): Promise<void> {
    const pinned = await tx.find(Pool, { where: { imageVersionId: v.id }, select: { name: true } });
    if (pinned.length) {
      throw new ConflictException(
        `pools pinned to version ${v.version}: ${pinned.map((p) => p.name).join(', ')}`,
      );
    }
  }

  private async change(
    id: string,
    actor: Actor,
    action: string,
    apply: (tx: EntityManager, v: ImageVersion) => Promise<void>,
  ): Promise<VersionView> {
    const v = await this.ds.transaction(async (tx) => {
      // Lock the image: publish/rollback of two versions of one image do not interleave.
      const version = await tx.findOneBy(ImageVersion, { id });
      if (!version) throw new NotFoundException('image version not found');
      await tx.findOne(GoldenImage, {
        where: { id: version.imageId },
        lock: { mode: 'pessimistic_write' },
      });
      const fresh = await tx.findOneByOrFail(ImageVersion, { id });
      await apply(tx, fresh);
      await this.audit.record(tx, actor, {
        action,
        targetType: 'image_version',
        targetId: id,
        details: { version: fresh.version, state: fresh.state },
      });
      return fresh;
    });
    return versionView(v);
  }
}
