// Integration: the real agent as main.ts starts it (real fork engine, real QEMU on TCG, the
// tiny test image) on a random loopback port. Forks and destroys over HTTP and with the CLI,
// then stops the agent and checks its children outlive it and are re-adopted.

import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { ChildInfo, ForkResponse, TemplateInfo } from '@forkdesk/agent-contract';
import pino from 'pino';
import request from 'supertest';
// infra's package index does not export the image builders (yet): take them from source.
import { buildTinyImage, type ImageManifest } from '../../infra/src/images';
import { newTicketNonce, signTicket } from '@forkdesk/agent-contract';
import { credentialsPath, endpointPath } from './config';
import { readCredentials } from './enrollment/credentials-store';
import { TestGuacClient } from './testing/guac-client';
import { runCli } from './cli/run';
import { startAgent, type RunningAgent } from './main';

jest.setTimeout(180_000);

const TOKEN = 'integration-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const log = pino({ level: 'silent' });
// QEMU runs as the forkdesk user: its files live where that user can reach them.
const dataDir = mkdtempSync('/var/lib/forkdesk/api-it-');
const shmDir = mkdtempSync('/dev/shm/forkdesk-api-it-');
const env: NodeJS.ProcessEnv = {
  FORKDESK_DATA_DIR: dataDir,
  FORKDESK_SHM_DIR: shmDir,
  FORKDESK_ACCEL: 'tcg',
  FORKDESK_RESERVE_MIB: '512',
  FORKDESK_WARM_POOL_MAX: '0',
  FORKDESK_API_PORT: '0',
  FORKDESK_GATEWAY_PORT: '0',
  FORKDESK_AGENT_TOKEN: TOKEN,
};
let agent: RunningAgent | undefined;
let template: TemplateInfo;
let image: ImageManifest;

beforeAll(async () => {
  chmodSync(dataDir, 0o755);
  chmodSync(shmDir, 0o755);
  image = buildTinyImage();
  agent = await startAgent(env, log);
});

afterAll(async () => {
  await agent?.engine.destroyAll();
  await agent?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(shmDir, { recursive: true, force: true });
});

const api = () => request((agent as RunningAgent).server.url);

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    env: { FORKDESK_DATA_DIR: dataDir },
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
  });
  return { code, out, err };
}

it('serves the real engine: template, fork, exec, list, destroy', async () => {
  expect((agent as RunningAgent).server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await api().get('/health').expect(200);
  await api().get('/v1/children').expect(401);

  const tpl = await api()
    .post('/v1/templates')
    .set(auth)
    // The broker's request: the version's files travel with it, imported on first use.
    .send({
      imageVersion: 'tiny',
      shape: { vcpus: 1, memoryMiB: 128 },
      image: {
        kernel: image.kernel,
        initrd: image.initrd,
        disk: image.disk,
        append: image.append,
        hash: image.hash,
      },
    })
    .expect(201);
  template = tpl.body as TemplateInfo;
  expect(template).toMatchObject({ state: 'ready', accel: 'tcg', imageVersion: 'tiny' });

  const fork = await api()
    .post('/v1/children')
    .set(auth)
    .send({ templateId: template.id, count: 1 })
    .expect(201);
  const [child] = (fork.body as ForkResponse).children;
  expect(child).toMatchObject({ templateId: template.id, state: 'running' });
  expect(process.kill(child.pid, 0)).toBe(true);

  const ex = await api()
    .post(`/v1/children/${child.id}/exec`)
    .set(auth)
    .send({ command: ['/bin/sh', '-c', 'echo forked'] })
    .expect(200);
  expect(ex.body).toMatchObject({ exitCode: 0, stdout: 'forked\n' });

  // The CLI finds the agent through the endpoint and credentials files in the data dir.
  const list = await cli(['list']);
  expect(list).toMatchObject({ code: 0, err: '' });
  expect(list.out).toContain(child.id);
  expect((await cli(['templates'])).out).toContain(template.id);
  const cliFork = await cli(['fork', template.id, '--count', '2']);
  expect(cliFork).toMatchObject({ code: 0, err: '' });
  expect(cliFork.out).toMatch(new RegExp(`^forked 2 children of template ${template.id} in `));
  const cliIds = (JSON.parse((await cli(['list', '--json'])).out) as ChildInfo[])
    .map((c) => c.id)
    .filter((id) => id !== child.id);
  expect(cliIds).toHaveLength(2);
  const destroyed = await cli(['destroy', ...cliIds]);
  expect(destroyed.out).toMatch(/^destroyed c-\S+ in [\d.]+ ms\ndestroyed c-\S+ in [\d.]+ ms\n$/);

  // The engine's own refusal, through the error mapping.
  const busy = await api().delete(`/v1/templates/${template.id}`).set(auth).expect(409);
  expect(busy.body.message).toMatch(/still has 1 child/);

  // The display gateway started beside the API shows this child to a ticket signed with the
  // agent's display key, and refuses a ticket signed with another.
  const creds = await readCredentials(credentialsPath(dataDir));
  const displayKey = creds?.credentials.displayKey ?? '';
  const gatewayPort = Number((agent as RunningAgent).gatewayAddress.split(':')[1]);
  const ticket = (key: string) =>
    signTicket(
      {
        user: 'alice',
        desktop: child.id,
        mode: 'control',
        exp: Date.now() + 30_000,
        nonce: newTicketNonce(),
      },
      key,
    );
  const viewer = await TestGuacClient.connect(gatewayPort);
  await viewer.handshake(child.id, ticket(displayKey));
  await viewer.waitFor((i) => i.opcode === 'ready');
  await viewer.waitFor((i) => i.opcode === 'sync');
  expect(viewer.count('img')).toBeGreaterThan(0);
  viewer.close();
  const intruder = await TestGuacClient.connect(gatewayPort);
  await intruder.handshake(child.id, ticket(Buffer.alloc(32, 7).toString('base64')));
  const refused = await intruder.waitFor((i) => i.opcode === 'error');
  expect(refused.args[1]).toBe('769'); // CLIENT_UNAUTHORIZED
  intruder.close();

  const got = await api().get(`/v1/children/${child.id}`).set(auth).expect(200);
  expect((got.body as ChildInfo).memory?.privateMiB).toBeGreaterThan(0);

  await api().delete(`/v1/children/${child.id}`).set(auth).expect(204);
  await api().get(`/v1/children/${child.id}`).set(auth).expect(404);
  expect(() => process.kill(child.pid, 0)).toThrow();
});

it('stops without killing children; the next agent re-adopts them', async () => {
  const fork = await api()
    .post('/v1/children')
    .set(auth)
    .send({ templateId: template.id })
    .expect(201);
  const [child] = (fork.body as ForkResponse).children;
  const oldUrl = (agent as RunningAgent).server.url;

  await (agent as RunningAgent).shutdown();
  agent = undefined;
  expect(process.kill(child.pid, 0)).toBe(true);
  expect(existsSync(endpointPath(dataDir))).toBe(false);
  await expect(fetch(`${oldUrl}/health`)).rejects.toThrow();

  agent = await startAgent(env, log);
  const list = await api().get('/v1/children').set(auth).expect(200);
  expect(list.body).toEqual([expect.objectContaining({ id: child.id, pid: child.pid })]);
  const ex = await api()
    .post(`/v1/children/${child.id}/exec`)
    .set(auth)
    .send({ command: ['/bin/sh', '-c', 'echo still here'] })
    .expect(200);
  expect(ex.body.stdout).toBe('still here\n');
  await api().delete(`/v1/children/${child.id}`).set(auth).expect(204);
});
