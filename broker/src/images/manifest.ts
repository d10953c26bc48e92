import { BadRequestException } from '@nestjs/common';
import type { ImageSource } from '@forkdesk/agent-contract';
import type { ImportedManifest } from '@forkdesk/broker-contract';

const isAbsPath = (v: unknown): v is string =>
  typeof v === 'string' && v.startsWith('/') && v.length < 4096 && !v.includes('\0');

/** Checks a manifest's shape; every problem is reported as a field message (400). */
export function parseManifest(raw: unknown): ImportedManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BadRequestException(['manifest must be a JSON object']);
  }
  const m = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof m.hash !== 'string' || !/^[A-Za-z0-9]{8,64}$/.test(m.hash))
    problems.push('manifest.hash must be 8-64 letters or digits');
  if (!isAbsPath(m.disk)) problems.push('manifest.disk must be an absolute path');
  for (const k of ['kernel', 'initrd'] as const) {
    if (m[k] !== undefined && !isAbsPath(m[k]))
      problems.push(`manifest.${k} must be an absolute path`);
  }
  if (m.append !== undefined && typeof m.append !== 'string')
    problems.push('manifest.append must be a string');
  if (problems.length) throw new BadRequestException(problems);
  return m as ImportedManifest;
}

/**
 * The name an agent knows an image version by (its image store key, and `imageVersion` in
 * template requests): `v-<version id>`, stable across renames and within the agent's charset.
 */
export const agentImageKey = (versionId: string): string => `v-${versionId}`;

/** The inverse, for templates reported in heartbeats: the version id, or null if not ours. */
export function parseAgentImageKey(key: string): string | null {
  const m = /^v-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(key);
  return m ? m[1] : null;
}

/** An image version's row as the reconciler reads it to ask an agent for a template. */
export interface VersionFiles {
  disk_path: string;
  kernel_path: string | null;
  initrd_path: string | null;
  recipe_hash: string | null;
  manifest: Record<string, unknown>;
}

/** Where the agent finds the version's files (same host, or a shared image path). */
export function imageSource(v: VersionFiles): ImageSource {
  const m = v.manifest;
  const readyCheck =
    Array.isArray(m.readyCheck) && m.readyCheck.every((x) => typeof x === 'string')
      ? (m.readyCheck as string[])
      : undefined;
  return {
    kernel: v.kernel_path ?? '',
    initrd: v.initrd_path ?? '',
    disk: v.disk_path,
    append: typeof m.append === 'string' ? m.append : '',
    ...(readyCheck ? { readyCheck } : {}),
    ...(typeof m.forkHook === 'string' ? { forkHook: m.forkHook } : {}),
    ...(typeof m.resizeHook === 'string' ? { resizeHook: m.resizeHook } : {}),
    hash: v.recipe_hash ?? String(m.hash ?? ''),
  };
}
