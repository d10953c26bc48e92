import request from 'supertest';

type Agent = ReturnType<typeof request.agent>;

/** A browser-like client: cookies kept, the CSRF cookie echoed in the header on writes. */
export class HttpSession {
  readonly agent: Agent;
  csrf = '';

  constructor(url: string) {
    this.agent = request.agent(url);
  }

  /** Picks up the CSRF cookie (any GET hands one out). */
  async init(): Promise<this> {
    const res = await this.agent.get('/health');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const c = cookies.find((x) => x.startsWith('forkdesk_csrf='));
    if (c) this.csrf = decodeURIComponent(c.split(';')[0].slice('forkdesk_csrf='.length));
    return this;
  }

  get(path: string) {
    return this.agent.get(path);
  }
  post(path: string, body?: object) {
    return this.agent.post(path).set('x-csrf-token', this.csrf).send(body);
  }
  patch(path: string, body?: object) {
    return this.agent.patch(path).set('x-csrf-token', this.csrf).send(body);
  }
  delete(path: string) {
    return this.agent.delete(path).set('x-csrf-token', this.csrf);
  }

  static async login(url: string, username: string, password: string): Promise<HttpSession> {
    const s = await new HttpSession(url).init();
    const res = await s.post('/api/auth/login', { username, password });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
    return s;
  }
}
