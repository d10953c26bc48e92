// Pure QMP / qemu-guest-agent wire protocol: JSON objects, one per line, no I/O here.
// QEMU answers with the `id` a command carried; qemu-ga does the same and may prefix a
// guest-sync-delimited answer with a 0xFF byte, which the decoder drops.

export type JsonObject = { [key: string]: unknown };

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package: string };
  capabilities: unknown[];
}

export interface QmpErrorBody {
  class: string;
  desc: string;
}

export interface QmpEvent {
  event: string;
  data: JsonObject;
  timestamp?: { seconds: number; microseconds: number };
}

export type QmpInput =
  | { kind: 'greeting'; greeting: QmpGreeting }
  | { kind: 'return'; id: string | undefined; value: unknown }
  | { kind: 'error'; id: string | undefined; error: QmpErrorBody }
  | { kind: 'event'; event: QmpEvent }
  | { kind: 'invalid'; line: string; reason: string };

const DELIMITER = 0xff;
const NEWLINE = 0x0a;
/** A single QMP message is small; a longer line means a broken or hostile peer. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Splits a byte stream into lines, dropping 0xFF sync delimiters and CRs. */
export class LineDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = this.buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const line = stripDelimiters(this.buf.subarray(start, nl))
        .toString('utf8')
        .replace(/\r$/, '');
      if (line.trim() !== '') lines.push(line);
      start = nl + 1;
    }
    this.buf = this.buf.subarray(start);
    if (this.buf.length > MAX_LINE_BYTES) {
      this.buf = Buffer.alloc(0);
      throw new Error(`QMP line longer than ${MAX_LINE_BYTES} bytes`);
    }
    return lines;
  }
}

function stripDelimiters(b: Buffer): Buffer {
  return b.includes(DELIMITER) ? Buffer.from(b.filter((x) => x !== DELIMITER)) : b;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Classifies one JSON line. Never throws: bad input comes back as `invalid`. */
export function parseMessage(line: string): QmpInput {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    return { kind: 'invalid', line, reason: `not JSON: ${(err as Error).message}` };
  }
  if (!isObject(msg)) return { kind: 'invalid', line, reason: 'not a JSON object' };
  const id = typeof msg.id === 'string' ? msg.id : undefined;
  if (isObject(msg.QMP)) return { kind: 'greeting', greeting: msg.QMP as unknown as QmpGreeting };
  if ('return' in msg) return { kind: 'return', id, value: msg.return };
  if (isObject(msg.error)) {
    const e = msg.error;
    return {
      kind: 'error',
      id,
      error: {
        class: typeof e.class === 'string' ? e.class : 'GenericError',
        desc: typeof e.desc === 'string' ? e.desc : JSON.stringify(e),
      },
    };
  }
  if (typeof msg.event === 'string') {
    return {
      kind: 'event',
      event: {
        event: msg.event,
        data: isObject(msg.data) ? msg.data : {},
        timestamp: msg.timestamp as QmpEvent['timestamp'],
      },
    };
  }
  return { kind: 'invalid', line, reason: 'neither greeting, return, error nor event' };
}

/** One command as bytes on the wire. */
export function encodeCommand(execute: string, args: JsonObject | undefined, id: string): Buffer {
  const msg: JsonObject = { execute };
  if (args !== undefined) msg.arguments = args;
  msg.id = id;
  return Buffer.from(JSON.stringify(msg) + '\n', 'utf8');
}

/**
 * The protocol state of one connection: issues command ids (unique per connection, so answers
 * left over from an earlier client of the same socket never match) and matches answers to them.
 */
export class QmpProtocol {
  private readonly decoder = new LineDecoder();
  private seq = 0;
  private readonly pending = new Set<string>();

  constructor(private readonly idPrefix: string) {}

  command(execute: string, args?: JsonObject): { id: string; bytes: Buffer } {
    const id = `${this.idPrefix}-${++this.seq}`;
    this.pending.add(id);
    return { id, bytes: encodeCommand(execute, args, id) };
  }

  /** Forgets a command (timed out); a late answer is then dropped as unmatched. */
  forget(id: string): void {
    this.pending.delete(id);
  }

  /** Parses incoming bytes; returns messages for the caller, dropping stale answers. */
  receive(chunk: Buffer): QmpInput[] {
    const out: QmpInput[] = [];
    for (const line of this.decoder.push(chunk)) {
      const m = parseMessage(line);
      if (m.kind === 'return' || m.kind === 'error') {
        if (m.id === undefined || !this.pending.has(m.id)) continue;
        this.pending.delete(m.id);
      }
      out.push(m);
    }
    return out;
  }
}
