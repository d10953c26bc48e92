// Progress of a long image build: numbered steps with the elapsed time, on stderr (pino), so
// stdout stays free for the machine-readable result.
import pino, { Logger } from 'pino';

export class Progress {
  private readonly t0 = Date.now();
  private n = 0;

  constructor(
    private readonly log: Logger,
    private readonly total: number,
  ) {}

  static forImage(name: string, total: number): Progress {
    const level = process.env.FORKDESK_LOG_LEVEL || 'info';
    return new Progress(pino({ name: `image:${name}`, level }, pino.destination(2)), total);
  }

  elapsedS(): number {
    return Math.round((Date.now() - this.t0) / 100) / 10;
  }

  /** Starts the next numbered step. */
  step(what: string, detail: Record<string, unknown> = {}): void {
    this.n++;
    this.log.info({ step: `${this.n}/${this.total}`, elapsedS: this.elapsedS(), ...detail }, what);
  }

  /** A line inside the current step (e.g. a tool's own progress). */
  note(what: string, detail: Record<string, unknown> = {}): void {
    this.log.info({ elapsedS: this.elapsedS(), ...detail }, what);
  }

  done(what: string, detail: Record<string, unknown> = {}): void {
    this.log.info({ elapsedS: this.elapsedS(), ...detail }, what);
  }
}
