import pino from 'pino';
import type { AgentClient } from '../agents/agent-client';
import { DisplayRevoker, REVOKE_WAIT_MS } from './display-revoker';
import type { DisplayTarget, DisplayTargetsRepository } from './display-targets.repository';

const target = (n: number): DisplayTarget => ({
  desktopId: `d${n}`,
  vmId: `vm-${n}`,
  agent: { name: `a${n}`, apiUrl: `http://127.0.0.1:1/a${n}`, apiToken: 'x'.repeat(32) },
});

const repo = (targets: DisplayTarget[]): DisplayTargetsRepository =>
  ({
    ofDesktop: async () => targets[0] ?? null,
    ofUser: async () => targets,
  }) as unknown as DisplayTargetsRepository;

describe('DisplayRevoker', () => {
  it('waits at most REVOKE_WAIT_MS for an agent that does not answer, and never throws', async () => {
    const calls: string[] = [];
    const client = {
      revokeDisplay: (_a: unknown, vmId: string) => {
        calls.push(vmId);
        // vm-1 answers, vm-2 fails, vm-3 hangs.
        if (vmId === 'vm-1') return Promise.resolve({ closed: 1 });
        if (vmId === 'vm-2') return Promise.reject(new Error('unreachable'));
        return new Promise(() => undefined);
      },
    } as unknown as AgentClient;
    const r = new DisplayRevoker(
      repo([target(1), target(2), target(3)]),
      client,
      pino({ level: 'silent' }),
    );
    const t0 = Date.now();
    await r.user('u1', 'test');
    const ms = Date.now() - t0;
    expect(calls).toEqual(['vm-1', 'vm-2', 'vm-3']);
    expect(ms).toBeGreaterThanOrEqual(REVOKE_WAIT_MS - 50);
    expect(ms).toBeLessThan(REVOKE_WAIT_MS + 1000);
  });

  it('a failed lookup is logged, not thrown', async () => {
    const broken = {
      ofDesktop: () => Promise.reject(new Error('database down')),
    } as unknown as DisplayTargetsRepository;
    const r = new DisplayRevoker(broken, {} as AgentClient, pino({ level: 'silent' }));
    await expect(r.desktop('d1', 'logoff')).resolves.toBeUndefined();
  });

  it('sends the user for a user revocation, none for a desktop one', async () => {
    const seen: unknown[] = [];
    const client = {
      revokeDisplay: async (_a: unknown, vmId: string, req: unknown) => {
        seen.push({ vmId, req });
        return { closed: 0 };
      },
    } as unknown as AgentClient;
    const r = new DisplayRevoker(repo([target(1)]), client, pino({ level: 'silent' }));
    await r.desktop('d1', 'logoff');
    await r.user('u9', 'sign-out');
    expect(seen).toEqual([
      { vmId: 'vm-1', req: {} },
      { vmId: 'vm-1', req: { user: 'u9' } },
    ]);
  });
});
