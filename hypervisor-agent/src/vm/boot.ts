// Starting a VM and waiting until its guest agent answers, failing fast (with QEMU's own
// error text) if the process dies first.
import { GuestAgent } from '../guest/client';
import { buildQemuArgs, VmSpec } from './args';
import { Launched, launchQemu, qemuStderr } from './process';

export class QemuDiedError extends Error {
  override name = 'QemuDiedError';
}

/** Rejects as soon as a launched QEMU exits, with its stderr; never resolves otherwise. */
export function deathOf(launched: Launched, logFile: string, what: string): Promise<never> {
  return launched.exited.then(({ code, signal }) => {
    const text = qemuStderr(logFile);
    throw new QemuDiedError(
      `QEMU exited during ${what} (code ${code}, signal ${signal})${text ? `: ${text}` : ''}`,
    );
  });
}

export function startVm(qemuBinary: string, spec: VmSpec, logFile: string): Launched {
  return launchQemu(qemuBinary, buildQemuArgs(spec), logFile);
}

/** Waits for the guest agent, or for the process to die, or for the time limit. */
export async function waitGuestReady(
  spec: VmSpec,
  launched: Launched,
  logFile: string,
  timeoutMs: number,
): Promise<GuestAgent> {
  const death = deathOf(launched, logFile, 'boot');
  death.catch(() => undefined);
  return Promise.race([GuestAgent.connect(spec.qgaSocket, timeoutMs), death]);
}
