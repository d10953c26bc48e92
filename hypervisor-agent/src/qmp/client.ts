// Thin unix-socket transport over QmpProtocol, for QEMU's QMP monitor and for qemu-ga.
import { randomBytes } from 'crypto';
import { EventEmitter } from 'events';
import { connect, Socket } from 'net';
import { JsonObject, QmpErrorBody, QmpEvent, QmpGreeting, QmpProtocol } from './protocol';

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly body: QmpErrorBody,
  ) {
    super(`${command}: ${body.class}: ${body.desc}`);
    this.name = 'QmpError';
  }
}

export class QmpTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'QmpTimeoutError';
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  /** Keep retrying a missing or refusing socket (QEMU still starting) until this many ms. */
  retryMs?: number;
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects a unix socket, retrying while the server has not created it yet. */
export async function connectUnix(path: string, retryMs = 0): Promise<Socket> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => {
          s.removeListener('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() >= deadline) throw err;
      await sleep(3);
    }
  }
}

/** A JSON command channel: QMP (`greeting: true`) or qemu-ga. Emits 'event' and 'close'. */
export class JsonChannel extends EventEmitter {
  private readonly protocol = new QmpProtocol(randomBytes(4).toString('hex'));
  private readonly pending = new Map<string, Pending>();
  private closedError: Error | undefined;
  private greetingWaiter: ((g: QmpGreeting) => void) | undefined;
  greeting: QmpGreeting | undefined;

  constructor(
    readonly socket: Socket,
    readonly label: string,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(err));
    socket.on('close', () => this.shutdown(new Error(`${label}: connection closed`)));
  }

  private onData(chunk: Buffer): void {
    let inputs;
    try {
      inputs = this.protocol.receive(chunk);
    } catch (err) {
      this.socket.destroy(err as Error);
      return;
    }
    for (const m of inputs) {
      if (m.kind === 'greeting') {
        this.greeting = m.greeting;
        this.greetingWaiter?.(m.greeting);
      } else if (m.kind === 'event') {
        this.emit('event', m.event);
      } else if (m.kind === 'return' || m.kind === 'error') {
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (!p || m.id === undefined) continue;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.kind === 'return') p.resolve(m.value);
        else p.reject(new QmpError(p.command, m.error));
      }
    }
  }

  private shutdown(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.command}: ${err.message}`));
    }
    this.pending.clear();
    this.emit('close', err);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  waitGreeting(timeoutMs: number): Promise<QmpGreeting> {
    if (this.greeting) return Promise.resolve(this.greeting);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new QmpTimeoutError(`${this.label} greeting`, timeoutMs)),
        timeoutMs,
      );
      this.once('close', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
      this.greetingWaiter = (g) => {
        clearTimeout(timer);
        resolve(g);
      };
    });
  }

  /** Writes raw bytes (qemu-ga's 0xFF parser reset). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  execute<T = unknown>(command: string, args?: JsonObject, timeoutMs = 10_000): Promise<T> {
    if (this.closedError)
      return Promise.reject(new Error(`${command}: ${this.closedError.message}`));
    const { id, bytes } = this.protocol.command(command, args);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.protocol.forget(id);
        reject(new QmpTimeoutError(`${this.label} ${command}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(bytes);
    });
  }

  /** Resolves with the first event named `name` that passes `match`. */
  waitEvent(
    name: string,
    timeoutMs: number,
    match: (e: QmpEvent) => boolean = () => true,
  ): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const onEvent = (e: QmpEvent): void => {
        if (e.event !== name || !match(e)) return;
        cleanup();
        resolve(e);
      };
      const onClose = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new QmpTimeoutError(`${this.label} event ${name}`, timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      this.on('event', onEvent);
      this.on('close', onClose);
    });
  }

  /**
   * Closes now: `closed` is true as soon as this returns (the socket's own 'close' event comes
   * a tick later, and a holder checking `closed` in between must not reuse a dead channel).
   */
  close(): void {
    this.shutdown(new Error(`${this.label}: closed by this client`));
    this.socket.destroy();
  }
}

/** Connects to a QEMU QMP socket and leaves capability negotiation done. */
export async function connectQmp(path: string, opts: ConnectOptions = {}): Promise<JsonChannel> {
  const socket = await connectUnix(path, opts.retryMs ?? 0);
  const ch = new JsonChannel(socket, `qmp ${path}`);
  try {
    await ch.waitGreeting(opts.timeoutMs ?? 10_000);
    await ch.execute('qmp_capabilities', undefined, opts.timeoutMs ?? 10_000);
  } catch (err) {
    ch.close();
    throw err;
  }
  return ch;
}

/** QEMU's QMP socket takes one client at a time: a connection held only for `fn`. */
export async function withQmp<T>(path: string, fn: (qmp: JsonChannel) => Promise<T>): Promise<T> {
  const qmp = await connectQmp(path, { retryMs: 2000 });
  try {
    return await fn(qmp);
  } finally {
    qmp.close();
  }
}
