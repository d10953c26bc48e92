/**
 * Multi-host (issue 9): three agents, each in its own network namespace, and two brokers on one
 * database, all real processes. In order: the agents serve mutual TLS with certificates minted
 * at enrollment; only one broker runs the scheduler; a burst of spares spreads over the agents
 * by free memory; a desktop's display flows through a broker's tunnel to the gateway inside a
 * namespace; one namespace is torn down and its desktops are marked lost and replaced elsewhere.
 */
import * as path from 'path';
import WebSocket from 'ws';
import type { TlsMaterial } from '@forkdesk/agent-contract';
import {
  agentRequest,
  CertificateAuthority,
  clientTls,
  HttpAgentClient,
  loadOrCreateCa,
  SCHEDULER_LOCK_KEY,
} from '@forkdesk/broker/testing';
import { TestGuacClient } from '@forkdesk/hypervisor-agent/testing';
import { screendump } from '../e2e/desktop-page';
import { PortalApi } from '../faults/portal-api';
import { healthy, waitUntil } from '../support/stack';
import { AGENT_API_PORT, Cluster, type ClusterAgent } from './cluster';

jest.setTimeout(180_000);

/** Spares forked in one burst; each fork counts a quarter of its RAM until it reports. */
const BURST = 6;
const MEMORY_MIB = 256;
/** Agent i reserves i × STEP more: less free memory, so fewer of the burst's forks. */
const STEP_MIB = 48;

let cluster: Cluster;
let brokerCa: TlsMaterial;
const t0 = Date.now();
const took: Record<string, number> = {};
let spread: Record<string, number> = {};

const agentUrl = (a: ClusterAgent): string => `https://${a.host.address}:${AGENT_API_PORT}`;

/** Live desktops per agent, by the agents' names in the cluster. */
const placement = async (): Promise<Record<string, number>> => {
  const rows = await cluster.query<{ id: string; n: number }>(
    `SELECT a.id, count(d.id)::int AS n FROM agents a
       LEFT JOIN desktops d ON d.agent_id = a.id AND d.state IN ('ready', 'assigned', 'in_use')
      GROUP BY a.id`,
  );
  const n = new Map(rows.map((r) => [r.id, r.n]));
  return Object.fromEntries(cluster.agents.map((a) => [a.name, n.get(a.id) ?? 0]));
};

const readySpares = async (): Promise<{ ready: number; forking: number }> =>
  (
    await cluster.query<{ ready: number; forking: number }>(
      `SELECT count(*) FILTER (WHERE state = 'ready')::int AS ready,
              count(*) FILTER (WHERE state = 'forking')::int AS forking
         FROM desktops WHERE pool_id = $1`,
      [cluster.poolId],
    )
  )[0];

beforeAll(async () => {
  const base = 2048;
  cluster = await Cluster.start({
    reservesMiB: [base, base + STEP_MIB, base + 2 * STEP_MIB],
    brokers: 2,
    memoryMib: MEMORY_MIB,
    brokerEnv: {
      FORKDESK_SCHEDULER_TICK_MS: '500',
      // A host that vanished is drained after 3 s of silence and lost after 6 s.
      FORKDESK_AGENT_TIMEOUT_S: '3',
      FORKDESK_AGENT_LOST_S: '6',
      // The brokers' own word on leadership is an info line.
      FORKDESK_LOG_LEVEL: 'info',
    },
  });
  brokerCa = await clientTls(await loadOrCreateCa(cluster.db.dataSource), 'multihost-test');
  took.start = Date.now() - t0;
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  process.stdout.write(
    `multihost: burst placement ${JSON.stringify(spread)}, timings (ms) ${JSON.stringify(took)}\n`,
  );
});

describe('three agents in three network namespaces, two brokers on one database', () => {
  it('agents enrolled over the network serve mutual TLS with certificates from the broker CA', async () => {
    const agents = await cluster.query<{ name: string; api_url: string; gateway_host: string }>(
      `SELECT name, api_url, gateway_host FROM agents ORDER BY name`,
    );
    expect(agents.map((a) => a.api_url)).toEqual(cluster.agents.map(agentUrl));
    expect(agents.map((a) => a.gateway_host)).toEqual(cluster.agents.map((a) => a.host.address));
    // Enrolled through both brokers.
    expect(new Set(cluster.agents.map((a) => a.brokerUrl)).size).toBe(2);

    const a = cluster.agents[1];
    const capacity = (tls?: TlsMaterial, token = 'not-the-token') =>
      agentRequest(`${agentUrl(a)}/v1/capacity`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: 5000,
        tls,
      });
    // A CA-signed client with a wrong token passes TLS and meets the bearer check.
    expect((await capacity(brokerCa)).status).toBe(401);
    // No client certificate: the handshake fails.
    await expect(capacity({ ...brokerCa, certificate: '', privateKey: '' })).rejects.toThrow(
      /certificate|alert|reset|socket/i,
    );
    // A certificate from another CA (trusting the agent's): the handshake fails too.
    const other = (await CertificateAuthority.create('another CA')).ca;
    const foreign = {
      ...(await other.issueClient('intruder')),
      caCertificate: brokerCa.caCertificate,
    };
    await expect(capacity(foreign)).rejects.toThrow(/certificate|alert|reset|socket/i);
    // The broker's client refuses a real agent when it trusts another CA.
    const misled = new HttpAgentClient(5000, 5000, async () => ({
      ...brokerCa,
      caCertificate: other.certificate,
    }));
    await expect(misled.capacity({ apiUrl: agentUrl(a), apiToken: 'x' })).rejects.toThrow(
      /unreachable: .*(self.signed|unable to verify|certificate)/i,
    );
    // Plain HTTP is not served at all.
    await expect(
      fetch(`http://${a.host.address}:${AGENT_API_PORT}/health`, {
        signal: AbortSignal.timeout(5000),
      }).then((r) => r.status),
    ).rejects.toThrow();
  });

  it('only one broker runs the scheduler; the other takes over when it dies', async () => {
    const holders = await cluster.query<{ app: string }>(
      `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1`,
      [SCHEDULER_LOCK_KEY],
    );
    expect(holders).toEqual([{ app: 'forkdesk-broker-leader' }]);
    const leaders = cluster.brokers.filter((b) =>
      b.service.tail(1_000_000).includes('scheduler leadership taken'),
    );
    expect(leaders).toHaveLength(1);

    // The leader dies: the other broker takes the lock; the dead one comes back as a follower.
    const [leader] = leaders;
    const follower = cluster.brokers.find((b) => b !== leader)!;
    const t = Date.now();
    await leader.service.stop(0, 'SIGKILL');
    await waitUntil(
      'the other broker takes the scheduler',
      async () => follower.service.tail(1_000_000).includes('scheduler leadership taken'),
      30_000,
      () => cluster.tails(),
      100,
    );
    took.leaderTakeover = Date.now() - t;
    leader.service.restart();
    await waitUntil(
      'the killed broker serves again',
      () => healthy(leader.url),
      30_000,
      () => leader.service.tail(),
    );
    // Agents that heartbeat to it may have been drained meanwhile: all active again first.
    const back = new Date();
    await waitUntil(
      'every agent heartbeats again',
      async () =>
        (
          await cluster.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM agents WHERE state = 'active' AND last_heartbeat_at > $1`,
            [back],
          )
        )[0].n === cluster.agents.length,
      30_000,
      () => cluster.tails(),
      200,
    );
    const holders2 = await cluster.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1`,
      [SCHEDULER_LOCK_KEY],
    );
    expect(holders2).toEqual([{ n: 1 }]);
  });

  it(`a burst of ${BURST} spares spreads over the agents by free memory`, async () => {
    const t = Date.now();
    await cluster.query(`UPDATE pools SET min_spare = $2 WHERE id = $1`, [cluster.poolId, BURST]);
    await waitUntil(
      `${BURST} ready spares`,
      async () => {
        const c = await readySpares();
        return c.ready === BURST && c.forking === 0;
      },
      90_000,
      () => cluster.tails(),
      200,
    );
    took.burst = Date.now() - t;
    const byAgent = await placement();
    spread = byAgent;
    // Every agent got some; the one with the most free memory at least as many as the least.
    expect(Object.values(byAgent).reduce((x, y) => x + y, 0)).toBe(BURST);
    for (const a of cluster.agents) expect(byAgent[a.name]).toBeGreaterThan(0);
    expect(byAgent['mh-0']).toBeGreaterThanOrEqual(byAgent['mh-2']);
  });

  let emma: PortalApi;
  let firstDesktop = '';
  let victim: ClusterAgent;

  it('a desktop is drawn through a tunnel of the other broker to the gateway in its namespace', async () => {
    emma = await PortalApi.login(cluster.brokers[0].url, cluster.employee);
    const d = await emma.open(cluster.poolId);
    firstDesktop = d.id;
    const [row] = await cluster.query<{ vm_id: string; agent_id: string }>(
      `SELECT vm_id, agent_id FROM desktops WHERE id = $1`,
      [d.id],
    );
    victim = cluster.agents.find((a) => a.id === row.agent_id)!;
    const grant = await emma.connect(d.id);
    expect(grant.status).toBe(200);

    const t = Date.now();
    const other = cluster.brokers[1].url.replace(/^http/, 'ws');
    const ws = new WebSocket(`${other}/tunnel?token=${encodeURIComponent(grant.body.token!)}`);
    ws.on('error', () => undefined);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const client = new TestGuacClient({
      send: (b) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(b.toString());
      },
      close: () => ws.close(),
      onData: (cb) => ws.on('message', (m: WebSocket.RawData) => cb(Buffer.from(m.toString()))),
      onClose: (cb) => ws.on('close', cb),
    });
    try {
      await client.waitFor((i) => i.opcode === 'sync');
      const vmDir = path.join(victim.dataDir, 'vms', row.vm_id);
      const { match } = await client.untilMatches(() => screendump(vmDir), 20_000);
      took.firstFrameThroughNamespace = Date.now() - t;
      expect(match).toBe(1);
    } finally {
      client.close();
    }
  });

  it("one agent's namespace torn down: its desktops are lost and replaced on the other agents", async () => {
    const victimId = victim.id;
    const before = await cluster.query<{ id: string }>(
      `SELECT id FROM desktops WHERE agent_id = $1 AND state IN ('ready', 'assigned', 'in_use')`,
      [victimId],
    );
    expect(before.length).toBeGreaterThan(0);

    const t = Date.now();
    const killed = cluster.net.pullThePlug(victim.host);
    expect(killed.length).toBeGreaterThan(1); // the agent and its QEMU children
    await waitUntil(
      'the vanished agent and its desktops are lost',
      async () => {
        const rows = await cluster.query<{ state: string }>(
          `SELECT state FROM desktops WHERE id = ANY($1)`,
          [before.map((d) => d.id)],
        );
        const [a] = await cluster.query<{ state: string }>(
          `SELECT state FROM agents WHERE id = $1`,
          [victimId],
        );
        return a.state === 'lost' && rows.every((r) => r.state === 'lost');
      },
      60_000,
      () => cluster.tails(),
      250,
    );
    took.lost = Date.now() - t;

    await waitUntil(
      `the pool is back at ${BURST} spares`,
      async () => {
        const c = await readySpares();
        return c.ready === BURST && c.forking === 0;
      },
      60_000,
      () => cluster.tails(),
      250,
    );
    took.replaced = Date.now() - t;
    const byAgent = await placement();
    expect(byAgent[victim.name]).toBe(0);

    // Emma's desktop went with the host; opening again gives her a new one elsewhere.
    const mine = await emma.call<{ state: string }>('GET', `/api/my/desktops/${firstDesktop}`);
    expect(mine.status === 404 || mine.body.state === 'lost').toBe(true);
    const again = await emma.open(cluster.poolId);
    expect(again.id).not.toBe(firstDesktop);
    const [row] = await cluster.query<{ agent_id: string; state: string }>(
      `SELECT agent_id, state FROM desktops WHERE id = $1`,
      [again.id],
    );
    expect(row.agent_id).not.toBe(victimId);
    expect(['assigned', 'in_use']).toContain(row.state);
    took.total = Date.now() - t0;
  });
});
