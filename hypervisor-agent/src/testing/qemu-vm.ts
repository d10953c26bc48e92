import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parsePpm, RgbImage } from './ppm';

/**
 * A throwaway QEMU VM for gateway tests and benchmarks, until the fork engine provides children.
 * 'vga': SeaBIOS on std VGA with the boot menu prompt held open for 65 s, SeaBIOS's limit (ESC opens the menu: one guest
 * keystroke that changes the screen). 'console': no graphics card; the display is QEMU's monitor
 * as a text console, which echoes every key (repeatable keystroke → pixels).
 */
export type TestVmMode = 'vga' | 'console';

export interface TestVm {
  dir: string;
  vncSocket: string;
  pid: number;
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown>;
  screendump(): Promise<RgbImage>;
  /** Resolves once the VM's screen shows something other than one colour. */
  waitForContent(timeoutMs?: number): Promise<RgbImage>;
  stop(): Promise<void>;
}

const QEMU = process.env.FORKDESK_QEMU ?? 'qemu-system-x86_64';

export async function startTestVm(mode: TestVmMode = 'vga'): Promise<TestVm> {
  // QEMU runs as the forkdesk user when we are root; it must reach its directory.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkdesk-gw-'));
  fs.chmodSync(dir, 0o777);
  const vncSocket = path.join(dir, 'vnc.sock');
  const qmpSocket = path.join(dir, 'qmp.sock');
  const args = [
    '-machine',
    'pc-q35-10.0',
    '-accel',
    'tcg,thread=multi,tb-size=32',
    '-cpu',
    'qemu64',
    '-m',
    '128',
    '-nodefaults',
    '-display',
    'none',
    '-vnc',
    `unix:${vncSocket}`,
    '-qmp',
    `unix:${qmpSocket},server=on,wait=off`,
    '-sandbox',
    'on',
    ...(mode === 'vga'
      ? ['-vga', 'std', '-boot', 'menu=on,splash-time=65000']
      : ['-vga', 'none', '-monitor', 'vc:1280x800', '-S']),
    ...(process.getuid?.() === 0 ? ['-run-with', 'user=forkdesk'] : []),
  ];
  const proc = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitFor(
      () => fs.existsSync(qmpSocket) && fs.existsSync(vncSocket),
      10_000,
      () => stderr,
      () => proc.exitCode !== null,
    );
    const qmp = await QmpConnection.open(qmpSocket);
    const vm: TestVm = {
      dir,
      vncSocket,
      pid: proc.pid ?? -1,
      qmp: (c, a) => qmp.execute(c, a),
      screendump: async () => {
        const file = path.join(dir, `screen-${Date.now()}-${Math.random()}.ppm`);
        await qmp.execute('screendump', { filename: file });
        const img = parsePpm(fs.readFileSync(file));
        fs.unlinkSync(file);
        return img;
      },
      waitForContent: async (timeoutMs = 30_000) => {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const img = await vm.screendump();
          if (!isUniform(img)) return img;
          if (Date.now() > end) throw new Error('VM screen stayed blank');
          await sleep(200);
        }
      },
      stop: () => stopProcess(proc, qmp, dir),
    };
    return vm;
  } catch (e) {
    proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function isUniform(img: RgbImage): boolean {
  const { rgb } = img;
  for (let i = 3; i < rgb.length; i += 3) {
    if (rgb[i] !== rgb[0] || rgb[i + 1] !== rgb[1] || rgb[i + 2] !== rgb[2]) return false;
  }
  return true;
}

async function stopProcess(proc: ChildProcess, qmp: QmpConnection, dir: string): Promise<void> {
  qmp.close();
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(
  ok: () => boolean,
  ms: number,
  why: () => string,
  dead: () => boolean,
): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end || dead()) throw new Error(`QEMU did not start: ${why()}`);
    await sleep(20);
  }
}

/** Minimal QMP: capabilities negotiation, then one command at a time. */
class QmpConnection {
  private buf = '';
  private waiting: ((msg: Record<string, unknown>) => void)[] = [];

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.buf += c.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('return' in msg || 'error' in msg || 'QMP' in msg) this.waiting.shift()?.(msg);
      }
    });
    sock.on('error', () => undefined);
  }

  static async open(file: string): Promise<QmpConnection> {
    const sock = net.createConnection(file);
    await new Promise<void>((res, rej) => {
      sock.once('connect', () => res());
      sock.once('error', rej);
    });
    const c = new QmpConnection(sock);
    await c.next();
    await c.execute('qmp_capabilities');
    return c;
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((r) => this.waiting.push(r));
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.sock.write(JSON.stringify({ execute: command, arguments: args }) + '\n');
    const msg = await reply;
    if ('error' in msg) throw new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }

  close(): void {
    this.sock.destroy();
  }
}
