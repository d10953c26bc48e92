import { GuacError, GuacStatus } from './status';

export interface GuacInstruction {
  opcode: string;
  args: string[];
}

export interface ParserLimits {
  /** Longest element, in code points. */
  maxElementLength: number;
  /** Largest instruction, in bytes, including separators. */
  maxInstructionBytes: number;
  /** Most elements (opcode included) in one instruction. */
  maxElements: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxElementLength: 64 * 1024,
  maxInstructionBytes: 128 * 1024,
  maxElements: 64,
};

const DOT = 0x2e;
const COMMA = 0x2c;
const SEMI = 0x3b;
const MAX_LENGTH_DIGITS = 10;

/** Bytes of the UTF-8 sequence that starts with `b`, or 0 if `b` cannot start one. */
function utf8SequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if ((b & 0xe0) === 0xc0) return b >= 0xc2 ? 2 : 0;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return b <= 0xf4 ? 4 : 0;
  return 0;
}

/**
 * Streaming parser of Guacamole instructions over raw bytes. Input may be split at any byte,
 * including inside a multi-byte character. Throws GuacError on malformed or oversized input;
 * after that the parser is unusable (the connection is to be closed).
 */
export class GuacamoleParser {
  private pending: Buffer = Buffer.alloc(0);
  /** Elements already complete in the instruction being read. */
  private elements: string[] = [];
  /** Offset in `pending` where the next element starts. */
  private elementStart = 0;
  private failed = false;

  constructor(private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS) {}

  /** Feeds bytes; returns every instruction they complete, in order. */
  feed(chunk: Buffer): GuacInstruction[] {
    if (this.failed) throw new GuacError('parser already failed', GuacStatus.CLIENT_BAD_REQUEST);
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: GuacInstruction[] = [];
    try {
      for (;;) {
        const done = this.step();
        if (done === undefined) break;
        out.push(done);
      }
    } catch (e) {
      this.failed = true;
      throw e;
    }
    return out;
  }

  /** Parses elements until an instruction completes (returned) or the input runs out (undefined). */
  private step(): GuacInstruction | undefined {
    const buf = this.pending;
    for (;;) {
      let i = this.elementStart;
      let length = 0;
      let digits = 0;
      while (i < buf.length && buf[i] >= 0x30 && buf[i] <= 0x39) {
        length = length * 10 + (buf[i] - 0x30);
        digits++;
        i++;
        if (digits > MAX_LENGTH_DIGITS) throw this.overrun('element length has too many digits');
      }
      if (length > this.limits.maxElementLength) throw this.overrun('element too long');
      if (i >= buf.length) return this.needMore();
      if (digits === 0) throw this.bad('expected an element length');
      if (buf[i] !== DOT) throw this.bad('expected "." after element length');
      const valueStart = i + 1;
      let j = valueStart;
      for (let n = 0; n < length; n++) {
        if (j >= buf.length) return this.needMore();
        const seq = utf8SequenceLength(buf[j]);
        if (seq === 0) throw this.bad('invalid UTF-8');
        for (let k = 1; k < seq; k++) {
          if (j + k >= buf.length) return this.needMore();
          if ((buf[j + k] & 0xc0) !== 0x80) throw this.bad('invalid UTF-8');
        }
        j += seq;
      }
      if (j >= buf.length) return this.needMore();
      const terminator = buf[j];
      if (terminator !== COMMA && terminator !== SEMI) {
        throw this.bad('element longer than its declared length');
      }
      this.elements.push(buf.toString('utf8', valueStart, j));
      if (this.elements.length > this.limits.maxElements) throw this.overrun('too many elements');
      this.elementStart = j + 1;
      if (terminator === SEMI) {
        if (this.elementStart > this.limits.maxInstructionBytes) {
          throw this.overrun('instruction too large');
        }
        const [opcode, ...args] = this.elements;
        this.elements = [];
        this.pending = buf.subarray(this.elementStart);
        this.elementStart = 0;
        return { opcode, args };
      }
    }
  }

  private needMore(): undefined {
    if (this.pending.length > this.limits.maxInstructionBytes) {
      throw this.overrun('instruction too large');
    }
    return undefined;
  }

  private bad(message: string): GuacError {
    return new GuacError(`malformed instruction: ${message}`, GuacStatus.CLIENT_BAD_REQUEST);
  }

  private overrun(message: string): GuacError {
    return new GuacError(`oversized instruction: ${message}`, GuacStatus.CLIENT_OVERRUN);
  }
}
