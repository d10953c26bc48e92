// A template: a booted VM frozen on disk (RAM file, device state, disk overlay). Children map
// its RAM copy-on-write and load its device state; these files never change again.
import { Accelerator, VmShape } from '@forkdesk/agent-contract';
import { createHash } from 'crypto';
import { createReadStream, existsSync, statSync } from 'fs';
import { VmSpec } from '../vm/args';

export interface TemplateRecord {
  id: string;
  key: string;
  imageVersion: string;
  shape: VmShape;
  accel: Accelerator;
  deviceProfile: string;
  qemuBuild: string;
  ramFile: string;
  stateFile: string;
  stateBytes: number;
  stateSha256: string;
  /** Frozen disk overlay children's deltas are backed by. */
  overlay: string;
  /** An empty delta over `overlay`, copied for each child (faster than qemu-img). */
  deltaProto: string;
  /** The spec the template ran with; children reuse it with their own files. */
  spec: VmSpec;
  buildMs: number;
  freezeMs: number;
  createdAt: string;
  /** Made by re-forking a VM with private RAM: its whole RAM was copied. */
  fullCopy?: boolean;
  /** Restored from the machine-wide template cache (buildMs is the restore's time). */
  restoredFromCache?: boolean;
  /** Template this one's overlay is backed by (a re-forked child's template). */
  parentTemplateId?: string;
}

export interface TemplateKeyParts {
  imageVersion: string;
  imageHash: string;
  shape: VmShape;
  deviceProfile: string;
  accel: Accelerator;
  qemuBuild: string;
}

/** Templates are keyed by image version × shape × device profile × accelerator × QEMU build. */
export function templateKey(p: TemplateKeyParts): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        p.imageVersion,
        p.imageHash,
        p.shape.vcpus,
        p.shape.memoryMiB,
        p.deviceProfile,
        p.accel,
        p.qemuBuild,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class TemplateInvalidError extends Error {
  override name = 'TemplateInvalidError';
}

/** Checks the frozen files are all there and the device state is the one recorded. */
export async function validateTemplate(t: TemplateRecord): Promise<void> {
  for (const f of [t.ramFile, t.stateFile, t.overlay, t.deltaProto]) {
    if (!existsSync(f)) throw new TemplateInvalidError(`template ${t.id}: ${f} is missing`);
  }
  const ramBytes = statSync(t.ramFile).size;
  if (ramBytes !== t.shape.memoryMiB * 1024 * 1024) {
    throw new TemplateInvalidError(
      `template ${t.id}: RAM file is ${ramBytes} bytes, expected ${t.shape.memoryMiB} MiB`,
    );
  }
  const size = statSync(t.stateFile).size;
  if (size !== t.stateBytes) {
    throw new TemplateInvalidError(
      `template ${t.id}: device state is ${size} bytes, recorded ${t.stateBytes}: refusing to fork`,
    );
  }
  const sum = await sha256File(t.stateFile);
  if (sum !== t.stateSha256) {
    throw new TemplateInvalidError(
      `template ${t.id}: device state sha256 mismatch: refusing to fork`,
    );
  }
}
