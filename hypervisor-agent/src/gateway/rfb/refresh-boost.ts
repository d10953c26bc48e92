/**
 * Keeps QEMU's VNC refresh at its fastest right after user input.
 *
 * QEMU polls the display for changes on a timer that starts at 30 ms and backs off by 50 ms per
 * tick that finds nothing (up to 3 s). Any client message of type > 3 (key, pointer, cut text)
 * resets it to 30 ms; but a TCG guest often needs longer than one tick to draw the keystroke,
 * so the empty tick backs off and the echo waits for the next, slower one. Repeating the last
 * pointer event (a no-op for the guest: same position, same buttons) every `everyMs` for
 * `windowMs` after input keeps the timer at 30 ms until the guest has drawn.
 */
export class RefreshBoost {
  private timer?: NodeJS.Timeout;
  private until = 0;

  constructor(
    private readonly nudge: () => void,
    private readonly windowMs: number,
    private readonly everyMs = 20,
  ) {}

  /** Input was sent: boost for the next `windowMs`. */
  onInput(now = Date.now()): void {
    if (this.windowMs <= 0) return;
    this.until = now + this.windowMs;
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (Date.now() >= this.until) {
      this.stop();
      return;
    }
    this.nudge();
  }
}
