// Native calls Node lacks, through koffi (this folder holds every such binding). Everything here has a fallback: a missing library
// degrades a feature with a logged reason, never crashes the agent.
import { logger } from '../logger';

interface Libc {
  setFlag: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  getFlag: (option: number, out: number[], a3: number, a4: number, a5: number) => number;
}

const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;

let libc: Libc | undefined;
let loadError: string | undefined;

function load(): Libc | undefined {
  if (libc || loadError) return libc;
  try {
    // Loaded lazily so that a host without koffi's prebuilt binary still runs the agent.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    libc = {
      setFlag: lib.func(
        'int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)',
      ) as Libc['setFlag'],
      getFlag: lib.func(
        'int prctl(int, _Out_ int *, unsigned long, unsigned long, unsigned long)',
      ) as Libc['getFlag'],
    };
  } catch (err) {
    loadError = (err as Error).message;
  }
  return libc;
}

/**
 * Makes this process the reaper of orphaned descendants: a QEMU whose intermediate parent
 * died is reparented to the agent (and reaped by it) rather than to init. Returns false, with
 * the reason logged, where koffi or prctl is unavailable.
 */
export function becomeChildSubreaper(): boolean {
  const lib = load();
  if (!lib) {
    logger.warn({ reason: loadError }, 'koffi unavailable: agent is not a child subreaper');
    return false;
  }
  if (lib.setFlag(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    logger.warn('prctl(PR_SET_CHILD_SUBREAPER) failed');
    return false;
  }
  return true;
}

/** Whether this process is a child subreaper; undefined when koffi is unavailable. */
export function isChildSubreaper(): boolean | undefined {
  const lib = load();
  if (!lib) return undefined;
  const out = [0];
  if (lib.getFlag(PR_GET_CHILD_SUBREAPER, out, 0, 0, 0) !== 0) return undefined;
  return out[0] === 1;
}
