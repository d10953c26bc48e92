// qemu-img calls: overlays over frozen backing files, and image facts for tests and checks.
import { execFile } from 'child_process';
import { promisify } from 'util';

const run = promisify(execFile);

/** A new empty qcow2 whose reads fall through to `backing` (an absolute path). */
export async function createOverlay(qemuImg: string, backing: string, path: string): Promise<void> {
  try {
    await run(qemuImg, ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'qcow2', path]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `qemu-img create ${path} over ${backing} failed: ${e.stderr?.trim() || e.message}`,
    );
  }
}

export interface ImageInfo {
  'virtual-size': number;
  'actual-size': number;
  'backing-filename'?: string;
}

export async function imageInfo(qemuImg: string, path: string): Promise<ImageInfo> {
  // -U: the image may be open in a running QEMU.
  const { stdout } = await run(qemuImg, ['info', '-U', '--output=json', path]);
  return JSON.parse(stdout) as ImageInfo;
}

/** A blank qcow2 (e.g. a user's persistent disk; the guest formats it on first mount). */
export async function createBlank(qemuImg: string, path: string, sizeMiB: number): Promise<void> {
  await run(qemuImg, ['create', '-q', '-f', 'qcow2', path, `${sizeMiB}M`]);
}
