// qemu-guest-agent client over the VM's virtio-serial chardev socket.
import { randomInt } from 'crypto';
import { connectUnix, JsonChannel, QmpTimeoutError } from '../qmp/client';

export interface GuestExecStatus {
  exited: boolean;
  exitcode?: number;
  signal?: number;
  'out-data'?: string;
  'err-data'?: string;
}

export interface GuestExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GuestAgent {
  private constructor(private readonly ch: JsonChannel) {}

  /**
   * Opens the channel without waiting for the guest (it may still be paused). Keeping the host
   * side connected matters: with nobody connected, qemu-ga sees EOF on its virtio port and
   * polls it every 100 ms, which delays the first answer and wakes idle guests.
   */
  static async open(path: string, retryMs = 0): Promise<GuestAgent> {
    return new GuestAgent(new JsonChannel(await connectUnix(path, retryMs), `qga ${path}`));
  }

  /**
   * Connects and synchronises: 0xFF resets the agent's parser, guest-sync-delimited flushes
   * answers meant for an earlier client. Retries until `timeoutMs` (guest still booting).
   */
  static async connect(path: string, timeoutMs: number, attemptMs = 1000): Promise<GuestAgent> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: Error = new Error('not tried');
    while (Date.now() < deadline) {
      let ga: GuestAgent | undefined;
      try {
        ga = await GuestAgent.open(path, Math.max(0, deadline - Date.now()));
        await ga.sync(Math.min(attemptMs, Math.max(1, deadline - Date.now())));
        return ga;
      } catch (err) {
        lastErr = err as Error;
        ga?.close();
        if (!(err instanceof QmpTimeoutError)) await sleep(20);
      }
    }
    throw new Error(
      `guest agent at ${path} did not answer within ${timeoutMs} ms: ${lastErr.message}`,
    );
  }

  /** One guest-sync-delimited round trip; resolves when the guest agent is answering. */
  async sync(timeoutMs: number): Promise<void> {
    const token = randomInt(1, 2 ** 31);
    this.ch.writeRaw(Buffer.from([0xff]));
    const got = await this.ch.execute<number>('guest-sync-delimited', { id: token }, timeoutMs);
    if (got !== token) throw new Error(`guest-sync answered ${got}, expected ${token}`);
  }

  get closed(): boolean {
    return this.ch.closed;
  }

  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<T> {
    return this.ch.execute<T>(command, args, timeoutMs);
  }

  ping(timeoutMs = 5000): Promise<unknown> {
    return this.execute('guest-ping', undefined, timeoutMs);
  }

  /** Sets the guest clock to the host's now. */
  async setTime(nowNs: bigint = BigInt(Date.now()) * 1_000_000n): Promise<void> {
    // JSON has no bigint: the value fits a double's integer range only until 2255, fine here.
    await this.execute('guest-set-time', { time: Number(nowNs) });
  }

  /** Runs a program in the guest and collects its output (guest-exec + guest-exec-status). */
  async exec(command: string[], timeoutMs = 30_000, input?: string): Promise<GuestExecResult> {
    const [path, ...arg] = command;
    if (!path) throw new Error('exec: empty command');
    const args: Record<string, unknown> = { path, arg, 'capture-output': true };
    if (input !== undefined) args['input-data'] = Buffer.from(input).toString('base64');
    const { pid } = await this.execute<{ pid: number }>('guest-exec', args);
    const deadline = Date.now() + timeoutMs;
    let delay = 2;
    for (;;) {
      const st = await this.execute<GuestExecStatus>('guest-exec-status', { pid });
      if (st.exited) {
        return {
          exitCode: st.exitcode ?? (st.signal !== undefined ? 128 + st.signal : -1),
          stdout: Buffer.from(st['out-data'] ?? '', 'base64').toString('utf8'),
          stderr: Buffer.from(st['err-data'] ?? '', 'base64').toString('utf8'),
        };
      }
      if (Date.now() > deadline)
        throw new Error(`guest command ${path} still running after ${timeoutMs} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  /** exec that throws on a non-zero exit, with the guest's stderr in the message. */
  async run(command: string[], timeoutMs = 30_000): Promise<string> {
    const r = await this.exec(command, timeoutMs);
    if (r.exitCode !== 0) {
      throw new Error(
        `guest command "${command.join(' ')}" exited ${r.exitCode}: ${r.stderr.trim()}`,
      );
    }
    return r.stdout;
  }

  close(): void {
    this.ch.close();
  }
}
