import { readFileSync } from 'fs';
import type { INestApplicationContext } from '@nestjs/common';
import { User } from '@forkdesk/db';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { SYSTEM } from '../common/actor';
import { ImagesService } from '../images/images.service';
import { PoolsService } from '../pools/pools.service';
import { GroupsService } from '../users/groups.service';

export interface LocalSetupOptions {
  /** The image builder's manifest of the golden image. */
  manifestPath: string;
  imageName: string;
  poolName: string;
  groupName: string;
  memoryMib: number;
  minSpare: number;
  maxSize: number;
  /** Mint a one-time enrollment token for the local agent (it has no credentials yet). */
  enrollAgent?: string;
}

export interface LocalSetupResult {
  imageVersion: number;
  poolId: string;
  /** Set when an enrollment token was minted. */
  enrollmentToken?: string;
  changes: string[];
}

/**
 * What `npm run up` needs on a fresh database: the golden image's current build imported and
 * published, a pool on it entitled to a group holding every user, and the local agent's token.
 * Idempotent: a second run changes only what is missing (a new image build becomes a new version).
 */
export async function setUpLocal(
  app: INestApplicationContext,
  o: LocalSetupOptions,
): Promise<LocalSetupResult> {
  const images = app.get(ImagesService);
  const pools = app.get(PoolsService);
  const groups = app.get(GroupsService);
  const agents = app.get(AgentsService);
  const changes: string[] = [];

  let image = (await images.list()).find((i) => i.name === o.imageName);
  if (!image) {
    image = await images.create(
      { name: o.imageName, description: 'Debian desktop (golden image)' },
      SYSTEM,
    );
    changes.push(`image "${o.imageName}" created`);
  }
  const manifest = readFileSync(o.manifestPath, 'utf8');
  const hash = String((JSON.parse(manifest) as { hash?: unknown }).hash ?? '');
  let version = (await images.versions(image.id)).find((v) => v.recipeHash === hash);
  if (!version) {
    version = await images.importVersion(image.id, { manifestPath: o.manifestPath }, SYSTEM);
    changes.push(`image version ${version.version} imported`);
  }
  if (version.state !== 'published') {
    version = await images.publish(version.id, SYSTEM);
    changes.push(`image version ${version.version} published`);
  }

  let group = (await groups.list()).find((g) => g.name === o.groupName);
  if (!group) {
    group = await groups.create(
      { name: o.groupName, description: 'Everyone with a desktop' },
      SYSTEM,
    );
    changes.push(`group "${o.groupName}" created`);
  }
  const members = new Set(group.members.map((m) => m.id));
  for (const u of await app.get(DataSource).manager.find(User)) {
    if (!members.has(u.id)) await groups.addMember(group.id, u.id, SYSTEM);
  }

  let pool = (await pools.list()).find((p) => p.name === o.poolName);
  if (!pool) {
    pool = await pools.create(
      {
        name: o.poolName,
        imageId: image.id,
        memoryMib: o.memoryMib,
        minSpare: o.minSpare,
        maxSize: o.maxSize,
      },
      SYSTEM,
    );
    await pools.entitle(pool.id, { groupId: group.id }, SYSTEM);
    changes.push(`pool "${o.poolName}" created for group "${o.groupName}"`);
  }

  let enrollmentToken: string | undefined;
  if (o.enrollAgent) {
    enrollmentToken = (await agents.createEnrollmentToken(`${o.enrollAgent}-${Date.now()}`, SYSTEM))
      .token;
    changes.push(`enrollment token minted for agent "${o.enrollAgent}"`);
  }
  return { imageVersion: version.version, poolId: pool.id, enrollmentToken, changes };
}
