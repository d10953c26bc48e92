import { engineDisplayResolver } from '../hypervisor-agent/src/engine/display-resolver';
import { startTestGateway } from '../hypervisor-agent/src/gateway/testkit/gateway-harness';
import { TestGuacClient } from '../hypervisor-agent/src/gateway/testkit/guac-client';
import { forkDesktop, freezeGoldenTemplate, openGoldenLab } from './src/support/golden-desktop';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function main() {
  const lab = await openGoldenLab('scratch-clip');
  try {
    const { templateId } = await freezeGoldenTemplate(lab);
    const d = await forkDesktop(lab, templateId, { user: 'bob', hostname: 'desk-bob' });
    const sh = async (c: string) => {
      const r = await lab.engine.exec(d.id, { command: ['sh', '-c', `DISPLAY=:0 XAUTHORITY=/run/forkdesk/x.auth ${c}`] });
      process.stdout.write(`$ ${c}\n${r.stdout}${r.stderr}[exit ${r.exitCode}]\n`);
      return r.stdout;
    };
    const g = await startTestGateway(new Map(), { resolver: engineDisplayResolver(lab.engine) });
    const c = await TestGuacClient.connect(g.port);
    await c.handshake(d.id, g.ticket(d.id));
    await c.waitFor((i) => i.opcode === 'sync');
    c.send('clipboard', 7, 'text/plain');
    c.send('blob', 7, Buffer.from('from the browser ✓').toString('base64'));
    c.send('end', 7);
    await sleep(2000);
    await sh('xclip -o -selection clipboard');
    await sh(`printf '%s' 'from the guest' | xclip -i -selection clipboard >/dev/null 2>&1`);
    await sleep(5000);
    process.stdout.write(JSON.stringify(c.received.filter((i) => ['clipboard', 'end', 'blob'].includes(i.opcode)).slice(-6)) + '\n');
    await sh('journalctl --no-pager -b | grep -i vdagent | tail -12; pgrep -a spice');
    c.close();
    await g.gateway.close();
  } finally {
    await lab.close();
  }
}
main().catch((e) => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exit(1); });
