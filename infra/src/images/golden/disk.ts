// Packing a root tree into a qcow2 without mounting anything: mkfs.ext4 -d fills a sparse raw
// file, qemu-img converts it (only used blocks are stored), qemu-img check verifies the result.
import { statSync } from 'fs';
import { run } from '../../util/run';

const MiB = 1024 * 1024;

/** Disk size for a tree: room for the tree plus headroom for the running desktop, 256 MiB steps. */
export function diskSizeMiB(treeMiB: number, headroomMiB = 768): number {
  if (!Number.isFinite(treeMiB) || treeMiB <= 0) throw new Error(`bad tree size ${treeMiB} MiB`);
  const want = Math.ceil(treeMiB * 1.2) + headroomMiB;
  return Math.ceil(want / 256) * 256;
}

/** Size of a directory tree in MiB (du, so hard links count once). */
export function treeMiB(dir: string): number {
  return Number(run('du', ['-sm', '--one-file-system', dir]).split('\t')[0]);
}

export function mkfsArgs(root: string, raw: string, label: string): string[] {
  // root_owner: the fs root belongs to root whoever runs mkfs; -m 1: a desktop needs few reserved blocks.
  return ['-q', '-F', '-L', label, '-m', '1', '-E', 'root_owner=0:0', '-d', root, raw];
}

export function packTree(root: string, raw: string, qcow2: string, sizeMiB: number): void {
  run('truncate', ['-s', `${sizeMiB}M`, raw]);
  run('mkfs.ext4', mkfsArgs(root, raw, 'forkdesk-root'));
  run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
}

export interface QcowFacts {
  format: string;
  virtualBytes: number;
  fileBytes: number;
  backing?: string;
}

/** `qemu-img check` (corruption, leaks) and `info` (format, size, backing file). */
export function inspectQcow2(path: string): QcowFacts {
  const info = JSON.parse(run('qemu-img', ['info', '--output=json', path])) as {
    format: string;
    'virtual-size': number;
    'backing-filename'?: string;
  };
  if (info.format === 'qcow2') run('qemu-img', ['check', '-q', path]);
  return {
    format: info.format,
    virtualBytes: info['virtual-size'],
    fileBytes: statSync(path).size,
    backing: info['backing-filename'],
  };
}

export const bytesToMiB = (b: number): number => Math.round((b / MiB) * 10) / 10;
