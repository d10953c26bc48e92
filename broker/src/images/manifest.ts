import { BadRequestException } from '@nestjs/common';

/** What the image builder writes (infra/src/images: ImageManifest). */
export interface ImageManifest {
  name?: string;
  hash: string;
  kernel?: string;
  initrd?: string;
  disk: string;
  append?: string;
  [key: string]: unknown;
}

const isAbsPath = (v: unknown): v is string =>
  typeof v === 'string' && v.startsWith('/') && v.length < 4096 && !v.includes('\0');

/** Checks a manifest's shape; every problem is reported as a field message (400). */
export function parseManifest(raw: unknown): ImageManifest {
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
  return m as ImageManifest;
}

/**
 * The name an agent knows an image version by (its image store key, and `imageVersion` in
 * template requests): `<image name>-v<version>`.
 */
export const agentImageKey = (imageName: string, version: number): string =>
  `${imageName}-v${version}`;

/** The inverse, for templates reported in heartbeats. */
export function parseAgentImageKey(key: string): { imageName: string; version: number } | null {
  const m = /^(.+)-v([1-9][0-9]{0,8})$/.exec(key);
  return m ? { imageName: m[1], version: Number(m[2]) } : null;
}
