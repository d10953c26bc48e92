// Unit test of the HTTP layer through the real Nest/Express stack, over a fake engine.

import type { INestApplication } from '@nestjs/common';
import type {
  ChildInfo,
  CreateTemplateRequest,
  ExecRequest,
  ExecResult,
  ForkSettings,
  HostCapacity,
  Personalization,
  TemplateInfo,
} from '@forkdesk/agent-contract';
import pino from 'pino';
import request from 'supertest';
import type { EnginePort } from '../engine/engine.port';
import type { DisplayControl } from '../gateway/display-control';
import { createAgentApp } from './create-app';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { Authorization: `Bearer ${TOKEN}` };

function codedError(message: string, code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

/** In-memory stand-in for the fork engine; `failNext` makes the next call throw. */
class FakeEngine implements EnginePort {
  templates = new Map<string, TemplateInfo>();
  children = new Map<string, ChildInfo>();
  failNext?: Error;
  personalized: Personalization[] = [];
  /** The settings of each fork call, in order. */
  forkSettings: (ForkSettings | undefined)[] = [];
  private seq = 0;

  private takeFailure(): void {
    const f = this.failNext;
    this.failNext = undefined;
    if (f) throw f;
  }

  addTemplate(id: string, state: TemplateInfo['state'] = 'ready'): TemplateInfo {
    const t: TemplateInfo = {
      id,
      imageVersion: 'tiny@1',
      shape: { vcpus: 1, memoryMiB: 128 },
      accel: 'tcg',
      state,
      deviceStateBytes: 290_000,
      buildMs: 3000,
      createdAt: new Date(0).toISOString(),
      children: 0,
    };
    this.templates.set(id, t);
    return t;
  }

  listTemplates(): TemplateInfo[] {
    return [...this.templates.values()];
  }
  getTemplate(id: string): TemplateInfo | undefined {
    return this.templates.get(id);
  }
  display(id: string): { vncSocket: string } | undefined {
    const c = this.children.get(id);
    return c && { vncSocket: c.vncSocket };
  }
  async ensureTemplate(req: CreateTemplateRequest): Promise<TemplateInfo> {
    this.takeFailure();
    return this.addTemplate(`tpl-${req.imageVersion}`);
  }
  async deleteTemplate(id: string): Promise<void> {
    this.takeFailure();
    this.templates.delete(id);
  }
  async fork(templateId: string, count: number, settings?: ForkSettings): Promise<ChildInfo[]> {
    this.takeFailure();
    this.forkSettings.push(settings);
    return Array.from({ length: count }, () => {
      const c: ChildInfo = {
        id: `child-${++this.seq}`,
        templateId,
        pid: 1000 + this.seq,
        state: 'running',
        vncSocket: `/run/forkdesk/child-${this.seq}.vnc`,
        createdAt: new Date().toISOString(),
        forkMs: 55,
        warm: this.seq % 2 === 0,
      };
      this.children.set(c.id, c);
      return c;
    });
  }
  async forkRunning(vmId: string, count: number) {
    this.takeFailure();
    const template = this.addTemplate(`tpl-of-${vmId}`);
    const vm = this.children.get(vmId) as ChildInfo;
    vm.templateId = template.id;
    return { template, children: [vm, ...(await this.fork(template.id, count))] };
  }
  listChildren(): ChildInfo[] {
    return [...this.children.values()];
  }
  getChild(id: string): ChildInfo | undefined {
    return this.children.get(id);
  }
  async destroy(id: string): Promise<void> {
    this.takeFailure();
    this.children.delete(id);
  }
  async personalize(_id: string, p: Personalization): Promise<undefined> {
    this.takeFailure();
    this.personalized.push(p);
    return undefined;
  }
  async exec(_id: string, req: ExecRequest): Promise<ExecResult> {
    this.takeFailure();
    return { exitCode: 0, stdout: req.command.join(' '), stderr: '' };
  }
  async capacity(): Promise<HostCapacity> {
    return {
      hostname: 'fake-host',
      accel: 'tcg',
      totalMiB: 24_000,
      availableMiB: 20_000,
      reserveMiB: 2048,
      children: this.children.size,
      templates: this.templates.size,
      childrenPrivateMiB: 12 * this.children.size,
    };
  }
}

/** Records what the API asks of the display gateway. */
class FakeDisplays implements DisplayControl {
  revoked: Array<[string, string | undefined]> = [];
  revoke(desktop: string, user?: string): number {
    this.revoked.push([desktop, user]);
    return 2;
  }
}

let app: INestApplication;
let engine: FakeEngine;
const displays = new FakeDisplays();
let http: ReturnType<typeof request>;

beforeAll(async () => {
  engine = new FakeEngine();
  app = await createAgentApp({
    engine,
    displays,
    apiToken: TOKEN,
    identity: { agentId: 'agent-test', agentVersion: '0.1.0', startedAt: Date.now() },
    log: pino({ level: 'silent' }),
  });
  await app.init();
  http = request(app.getHttpServer());
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  engine.templates.clear();
  engine.children.clear();
  engine.failNext = undefined;
  engine.addTemplate('tpl-a');
});

describe('auth', () => {
  it('serves /health without a token', async () => {
    const res = await http.get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', agentVersion: '0.1.0' });
  });

  it.each([
    ['GET', '/v1/templates'],
    ['POST', '/v1/children'],
    ['GET', '/metrics'],
    ['GET', '/api/docs-json'],
    ['GET', '/api/docs'],
    ['GET', '/no/such/route'],
  ])('refuses %s %s without a token (401, JSON)', async (method, path) => {
    const res = await http[method === 'GET' ? 'get' : 'post'](path).expect(401);
    expect(res.body).toEqual({ statusCode: 401, message: 'missing bearer token' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses a wrong token, a wrong scheme and a token prefix', async () => {
    for (const header of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, `Bearer ${TOKEN.slice(0, 8)}`]) {
      const res = await http.get('/v1/templates').set('Authorization', header).expect(401);
      expect(res.body.statusCode).toBe(401);
    }
  });

  it('accepts the right token', async () => {
    await http.get('/v1/templates').set(auth).expect(200);
  });
});

describe('templates', () => {
  it('lists, gets, ensures and deletes', async () => {
    const list = await http.get('/v1/templates').set(auth).expect(200);
    expect(list.body.map((t: TemplateInfo) => t.id)).toEqual(['tpl-a']);
    await http.get('/v1/templates/tpl-a').set(auth).expect(200);
    const created = await http
      .post('/v1/templates')
      .set(auth)
      .send({ imageVersion: 'tiny-2', shape: { vcpus: 1, memoryMiB: 256 } })
      .expect(201);
    expect(created.body.id).toBe('tpl-tiny-2');
    await http.delete('/v1/templates/tpl-tiny-2').set(auth).expect(204);
    expect(engine.getTemplate('tpl-tiny-2')).toBeUndefined();
  });

  it('404s unknown ids with the id in the message', async () => {
    const res = await http.get('/v1/templates/nope').set(auth).expect(404);
    expect(res.body).toEqual({ statusCode: 404, message: 'unknown template "nope"' });
    await http.delete('/v1/templates/nope').set(auth).expect(404);
  });

  it('400s a bad body with a message per field, nested fields included', async () => {
    const res = await http
      .post('/v1/templates')
      .set(auth)
      .send({ imageVersion: '../etc', shape: { vcpus: 0, memoryMiB: 'lots' }, extra: 1 })
      .expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['extra', 'imageVersion', 'shape.memoryMiB', 'shape.vcpus']);
    expect(res.body.message).toContain('vcpus must not be less than 1');
    expect(res.body.message).toContain('property extra should not exist');
  });

  it('maps "template files changed" to 409 with the engine message', async () => {
    engine.failNext = codedError('frozen RAM file of tpl-a changed (mtime)', 'TEMPLATE_CHANGED');
    const res = await http.post('/v1/templates').set(auth).send({ imageVersion: 'x' }).expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      message: 'frozen RAM file of tpl-a changed (mtime)',
    });
  });
});

describe('fork and children', () => {
  it('forks N children and reports times', async () => {
    const res = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', count: 3 })
      .expect(201);
    expect(res.body.children).toHaveLength(3);
    expect(res.body.children[0]).toMatchObject({ templateId: 'tpl-a', forkMs: 55 });
    expect(typeof res.body.totalMs).toBe('number');
    const list = await http.get('/v1/children').set(auth).expect(200);
    expect(list.body).toHaveLength(3);
  });

  it('defaults count to 1', async () => {
    const res = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a' }).expect(201);
    expect(res.body.children).toHaveLength(1);
  });

  it('400s bad fork requests with field messages', async () => {
    const res = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 7, count: 65 })
      .expect(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'templateId', messages: expect.arrayContaining(['templateId must be a string']) },
        { field: 'count', messages: ['count must not be greater than 64'] },
      ]),
    );
    await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a', count: 1.5 }).expect(400);
    const net = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', network: 'bridge' })
      .expect(400);
    expect(net.body.errors).toEqual([
      { field: 'network', messages: ['network must be restricted or nat'] },
    ]);
  });

  it('passes a CPU limit on to the engine and 400s one out of range', async () => {
    await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', cpuLimitPercent: 50 })
      .expect(201);
    expect(engine.forkSettings.at(-1)).toEqual({ cpuLimitPercent: 50 });
    const low = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', cpuLimitPercent: 5 })
      .expect(400);
    expect(low.body.errors).toEqual([
      {
        field: 'cpuLimitPercent',
        messages: ['cpuLimitPercent must be at least 10 (a tenth of a core)'],
      },
    ]);
    const half = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', cpuLimitPercent: 25.5 })
      .expect(400);
    expect(JSON.stringify(half.body.errors)).toMatch(/cpuLimitPercent must be a whole number/);
    // Above the template's vcpus × 100: the engine's RangeError, its message kept.
    engine.failNext = new RangeError('cpuLimitPercent must be a whole number from 10 to 100');
    const high = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', cpuLimitPercent: 150 })
      .expect(400);
    expect(high.body.message).toBe('cpuLimitPercent must be a whole number from 10 to 100');
  });

  it('passes a spare fork on as one (it waits behind forks someone waits for); refuses a non-boolean', async () => {
    await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', spare: true })
      .expect(201);
    expect(engine.forkSettings.at(-1)).toEqual({ spare: true });
    const bad = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', spare: 'yes' })
      .expect(400);
    expect(bad.body.errors).toEqual([
      { field: 'spare', messages: ['spare must be true or false'] },
    ]);
  });

  it('400s malformed JSON as JSON', async () => {
    const res = await http
      .post('/v1/children')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"templateId":')
      .expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(typeof res.body.message).toBe('string');
  });

  it('404s an unknown template and 409s one that is not ready', async () => {
    await http.post('/v1/children').set(auth).send({ templateId: 'nope' }).expect(404);
    engine.addTemplate('tpl-b', 'building');
    const res = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-b' }).expect(409);
    expect(res.body.message).toBe('template "tpl-b" is building, not ready');
  });

  it('503s with Retry-After when the memory reserve would be crossed', async () => {
    engine.failNext = codedError(
      'fork refused: 1900 MiB free, reserve 2048 MiB',
      'MEMORY_RESERVE',
      {
        retryAfterS: 12,
      },
    );
    const res = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a' }).expect(503);
    expect(res.headers['retry-after']).toBe('12');
    expect(res.body).toEqual({
      statusCode: 503,
      message: 'fork refused: 1900 MiB free, reserve 2048 MiB',
    });
  });

  it('500s an unexpected engine failure with its message', async () => {
    engine.failNext = new Error('qemu exited with status 1');
    const res = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a' }).expect(500);
    expect(res.body).toEqual({ statusCode: 500, message: 'qemu exited with status 1' });
  });

  it('forks once for a retried request with the same idempotency key', async () => {
    const req = { templateId: 'tpl-a', idempotencyKey: 'desktop-7f3a' };
    const [a, b] = await Promise.all([
      http.post('/v1/children').set(auth).send(req).expect(201),
      http.post('/v1/children').set(auth).send(req).expect(201),
    ]);
    const c = await http.post('/v1/children').set(auth).send(req).expect(201);
    expect(engine.children.size).toBe(1);
    expect(b.body.children[0].id).toBe(a.body.children[0].id);
    expect(c.body.children[0].id).toBe(a.body.children[0].id);
    await http
      .post('/v1/children')
      .set(auth)
      .send({ ...req, count: 2 })
      .expect(409);
    const bad = await http
      .post('/v1/children')
      .set(auth)
      .send({ templateId: 'tpl-a', idempotencyKey: 'a b' })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['idempotencyKey']);
  });

  it('gets, personalizes, execs and destroys a child; 404s unknown ones', async () => {
    const fork = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a' });
    const id: string = fork.body.children[0].id;
    await http.get(`/v1/children/${id}`).set(auth).expect(200);
    const p = await http
      .post(`/v1/children/${id}/personalize`)
      .set(auth)
      .send({ hostname: 'desk-alice', userName: 'alice', syncClock: true })
      .expect(200);
    expect(p.body.id).toBe(id);
    expect(engine.personalized).toContainEqual({
      hostname: 'desk-alice',
      userName: 'alice',
      syncClock: true,
    });
    const bad = await http
      .post(`/v1/children/${id}/personalize`)
      .set(auth)
      .send({
        hostname: '-bad-',
        persistentDisk: '/a/../etc/shadow',
        persistentDiskSizeMiB: 1,
        leaseExpiresAt: 'soon',
      })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'hostname',
      'persistentDisk',
      'persistentDiskSizeMiB',
      'leaseExpiresAt',
    ]);
    const ex = await http
      .post(`/v1/children/${id}/exec`)
      .set(auth)
      .send({ command: ['echo', 'hi'] })
      .expect(200);
    expect(ex.body).toEqual({ exitCode: 0, stdout: 'echo hi', stderr: '' });
    await http.post(`/v1/children/${id}/exec`).set(auth).send({ command: [] }).expect(400);
    await http.delete(`/v1/children/${id}`).set(auth).expect(204);
    await http.delete(`/v1/children/${id}`).set(auth).expect(404);
    await http.get(`/v1/children/${id}`).set(auth).expect(404);
    await http
      .post(`/v1/children/${id}/exec`)
      .set(auth)
      .send({ command: ['x'] })
      .expect(404);
    await http.post(`/v1/children/${id}/personalize`).set(auth).send({}).expect(404);
  });

  it("revokes a desktop's display access, of one user or of all, and checks the body", async () => {
    const one = await http
      .post('/v1/children/c-1/display/revoke')
      .set(auth)
      .send({ user: 'alice' })
      .expect(200);
    expect(one.body).toEqual({ closed: 2 });
    await http.post('/v1/children/c-1/display/revoke').set(auth).send({}).expect(200);
    await http.post('/v1/children/c-1/display/revoke').set(auth).send({ user: '' }).expect(400);
    await http.post('/v1/children/c-1/display/revoke').send({}).expect(401);
    expect(displays.revoked).toEqual([
      ['c-1', 'alice'],
      ['c-1', undefined],
    ]);
  });

  it('400s ids that are not ids', async () => {
    const res = await http.get('/v1/children/..%2F..%2Fetc').set(auth).expect(400);
    expect(res.body.message).toContain('is not a valid id');
  });

  it('forks a running VM (body optional) and 404s an unknown one', async () => {
    const fork = await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a' });
    const id: string = fork.body.children[0].id;
    const res = await http.post(`/v1/vms/${id}/fork`).set(auth).expect(201);
    expect(res.body.template.id).toBe(`tpl-of-${id}`);
    expect(res.body.children.map((c: ChildInfo) => c.id)[0]).toBe(id);
    expect(res.body.children).toHaveLength(2);
    await http.post('/v1/vms/nope/fork').set(auth).send({ count: 2 }).expect(404);
    await http.post(`/v1/vms/${id}/fork`).set(auth).send({ count: 0 }).expect(400);
  });
});

describe('host, metrics, docs', () => {
  it('reports capacity and the heartbeat payload', async () => {
    await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a', count: 2 });
    const cap = await http.get('/v1/host/capacity').set(auth).expect(200);
    expect(cap.body).toMatchObject({ hostname: 'fake-host', children: 2 });
    const hb = await http.get('/v1/heartbeat').set(auth).expect(200);
    expect(hb.body.agentId).toBe('agent-test');
    expect(hb.body.vms).toHaveLength(2);
    expect(hb.body.templates).toHaveLength(1);
    expect(hb.body.capacity.children).toBe(2);
  });

  it('exposes Prometheus metrics: defaults and ours', async () => {
    await http.post('/v1/children').set(auth).send({ templateId: 'tpl-a', count: 2 });
    await http.get('/v1/templates').set('Authorization', 'Bearer wrong-token-xxxxxxxx');
    const res = await http.get('/metrics').set(auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toContain('forkdesk_agent_children{state="running"} 2');
    expect(res.text).toContain('forkdesk_agent_templates{state="ready"} 1');
    expect(res.text).toMatch(/forkdesk_agent_child_fork_seconds_count\{warm="(true|false)"\} \d+/);
    expect(res.text).toMatch(
      /forkdesk_agent_http_request_duration_seconds_count\{method="POST",route="\/v1\/children",status="201"\} \d+/,
    );
    expect(res.text).toMatch(/forkdesk_agent_auth_failures_total [1-9]/);
    expect(res.text).toContain('forkdesk_agent_memory_bytes{kind="available"}');
  });

  it('serves the OpenAPI document', async () => {
    const res = await http.get('/api/docs-json').set(auth).expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/templates',
        '/v1/templates/{id}',
        '/v1/children',
        '/v1/children/{id}',
        '/v1/children/{id}/personalize',
        '/v1/children/{id}/exec',
        '/v1/children/{id}/display/revoke',
        '/v1/vms/{id}/fork',
        '/v1/host/capacity',
        '/health',
        '/metrics',
      ]),
    );
    expect(res.body.components.schemas.ForkDto.required).toEqual(['templateId']);
    const html = await http.get('/api/docs').set(auth).expect(200);
    expect(html.text).toContain('swagger');
  });
});
