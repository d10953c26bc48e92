// The host side of an image's fork hook (the golden image's is
// infra/images/golden/rootfs/usr/local/sbin/forkdesk-fork-hook): its command line (pure,
// validated the same way the guest validates it) and one call through the guest agent.
import { randomBytes } from 'crypto';

export interface ForkIdentity {
  hostname: string;
  user: string;
  fullName?: string;
  /** virtio-blk serial of the user's hot-plugged persistent disk. */
  diskSerial?: string;
  /** Host clock for the guest, seconds since the epoch. */
  epochS?: number;
  /** Host entropy mixed into the guest's pool (hex). */
  entropyHex?: string;
}

export interface GuestExec {
  exec(
    command: string[],
    timeoutMs?: number,
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export interface ForkHookResult {
  hostname: string;
  user: string;
  home: string;
  disk: string;
  vmgenid: 'present' | 'absent';
  /** Time the hook took inside the guest. */
  ms: number;
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/** `hook`: the hook's path in the guest, as the image's manifest names it. */
export function forkHookCommand(hook: string, id: ForkIdentity): string[] {
  if (!HOST_RE.test(id.hostname)) throw new Error(`invalid hostname "${id.hostname}"`);
  if (!USER_RE.test(id.user)) throw new Error(`invalid user name "${id.user}"`);
  if (id.fullName !== undefined && /[:,\\\n]/.test(id.fullName))
    throw new Error(`the full name may not contain ':', ',', '\\' or a newline`);
  if (id.diskSerial !== undefined && !/^[A-Za-z0-9_-]{1,20}$/.test(id.diskSerial))
    throw new Error(`invalid disk serial "${id.diskSerial}"`);
  if (id.entropyHex !== undefined && !/^[0-9a-fA-F]*$/.test(id.entropyHex))
    throw new Error('entropy must be hex');
  const cmd = [hook, '--hostname', id.hostname, '--user', id.user];
  if (id.fullName) cmd.push('--full-name', id.fullName);
  if (id.diskSerial) cmd.push('--disk-serial', id.diskSerial);
  if (id.epochS !== undefined)
    cmd.push('--epoch', (Math.round(id.epochS * 1000) / 1000).toFixed(3));
  cmd.push('--entropy', id.entropyHex ?? randomBytes(32).toString('hex'));
  return cmd;
}

export function parseForkHookOutput(stdout: string): ForkHookResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ForkHookResult;
  } catch {
    throw new Error(`fork hook printed no result: "${stdout.trim()}"`);
  }
}

/** Runs the fork hook in a child; throws with the guest's own message when it fails. */
export async function runForkHook(
  ga: GuestExec,
  hook: string,
  id: ForkIdentity,
  timeoutMs = 30_000,
): Promise<ForkHookResult> {
  const r = await ga.exec(forkHookCommand(hook, { epochS: Date.now() / 1000, ...id }), timeoutMs);
  if (r.exitCode !== 0)
    throw new Error(`fork hook failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return parseForkHookOutput(r.stdout);
}
