import { spawnSync, SpawnSyncOptions } from 'child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly output: string,
  ) {
    super(
      `${command} failed (exit ${status ?? 'signal'}): ${output.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

/** Runs a command to completion; throws a CommandError carrying its last output lines. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new CommandError(cmd, null, r.error.message);
  if (r.status !== 0)
    throw new CommandError(
      [cmd, ...args].join(' '),
      r.status,
      `${r.stdout ?? ''}${r.stderr ?? ''}`,
    );
  return String(r.stdout ?? '');
}

/** Runs a command as the unprivileged service user (root may not run PostgreSQL). */
export function runAs(
  user: string,
  cmd: string,
  args: string[],
  opts: SpawnSyncOptions = {},
): string {
  if (process.getuid?.() !== 0) return run(cmd, args, opts);
  return run('runuser', ['-u', user, '--', cmd, ...args], opts);
}
