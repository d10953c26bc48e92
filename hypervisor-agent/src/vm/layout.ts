// Where a VM's files live, and who may open them.
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { VmSpec } from './args';

export interface VmPaths {
  dir: string;
  record: string;
  disk: string;
  qmpSocket: string;
  qgaSocket: string;
  vncSocket: string;
  consoleLog: string;
  qemuLog: string;
}

/** unix socket paths are limited to 108 bytes (sun_path). */
const MAX_SOCKET_PATH = 107;

export function vmPaths(dir: string): VmPaths {
  const p = {
    dir,
    record: join(dir, 'vm.json'),
    disk: join(dir, 'disk.qcow2'),
    qmpSocket: join(dir, 'qmp.sock'),
    qgaSocket: join(dir, 'qga.sock'),
    vncSocket: join(dir, 'vnc.sock'),
    consoleLog: join(dir, 'console.log'),
    qemuLog: join(dir, 'qemu.log'),
  };
  if (Buffer.byteLength(p.qmpSocket) > MAX_SOCKET_PATH) {
    throw new Error(`data dir path too long for unix sockets: ${p.qmpSocket}`);
  }
  return p;
}

/** A spec's per-VM channels (QMP, guest agent, VNC, console) in this VM's directory. */
export function vmChannels(
  p: VmPaths,
): Pick<VmSpec, 'qmpSocket' | 'qgaSocket' | 'vncSocket' | 'consoleLog'> {
  return {
    qmpSocket: p.qmpSocket,
    qgaSocket: p.qgaSocket,
    vncSocket: p.vncSocket,
    consoleLog: p.consoleLog,
  };
}

export interface UserIds {
  uid: number;
  gid: number;
}

/** uid/gid of a local user from /etc/passwd; undefined for '' (no privilege drop). */
export function lookupUser(name: string, passwd = '/etc/passwd'): UserIds | undefined {
  if (!name) return undefined;
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(
    `user "${name}" (FORKDESK_RUN_AS) does not exist: create it or set FORKDESK_RUN_AS=`,
  );
}

/**
 * A private directory QEMU can still use after dropping to `user`: owned by that user, 0700,
 * so sockets inside are reachable by root (the agent) and QEMU only.
 */
export function makeVmDir(dir: string, user: UserIds | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
}
