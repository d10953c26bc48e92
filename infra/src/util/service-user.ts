import { spawnSync } from 'child_process';
import { run } from './run';

export const SERVICE_USER = process.env.FORKDESK_SERVICE_USER ?? 'forkdesk';

/** Creates the unprivileged system user that runs PostgreSQL and QEMU, when missing. */
export function ensureServiceUser(): void {
  if (spawnSync('id', ['-u', SERVICE_USER]).status === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`user ${SERVICE_USER} is missing; run as root once to create it`);
  }
  run('useradd', [
    '--system',
    '--home-dir',
    '/var/lib/forkdesk',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    SERVICE_USER,
  ]);
}

/** Owner uid/gid of the service user, for chown. */
export function serviceIds(): { uid: number; gid: number } {
  return {
    uid: Number(run('id', ['-u', SERVICE_USER]).trim()),
    gid: Number(run('id', ['-g', SERVICE_USER]).trim()),
  };
}
