import {
  AGENT_ROUTES,
  type ChildInfo,
  type CreateTemplateRequest,
  type ForkRequest,
  type ForkResponse,
  type ForkSettings,
  type HostCapacity,
  type Personalization,
  type RevokeDisplayRequest,
  type RevokeDisplayResponse,
  type TemplateInfo,
  type TlsMaterial,
} from '@forkdesk/agent-contract';
import { agentRequest, type AgentHttpAnswer } from './agent-http';

/** Where an agent answers and how the broker proves itself to it. */
export interface AgentEndpoint {
  apiUrl: string;
  apiToken: string;
}

/** An agent refused or failed a call; `status` is its HTTP status (0: unreachable). */
export class AgentCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The broker's view of one agent's HTTP API (hypervisor-agent/src/api). */
export interface AgentClient {
  /** Builds (boot, freeze) or returns the template for an image version and shape. */
  ensureTemplate(a: AgentEndpoint, req: CreateTemplateRequest): Promise<TemplateInfo>;
  /**
   * Forks one child of a ready template; a retry with the same key gets the same child.
   * `settings`: the pool's network mode (default restricted) and CPU limit (default none).
   */
  fork(
    a: AgentEndpoint,
    templateId: string,
    idempotencyKey?: string,
    settings?: ForkSettings,
  ): Promise<ChildInfo>;
  /** Stops a child and deletes its delta; an unknown child counts as gone. */
  destroy(a: AgentEndpoint, vmId: string): Promise<void>;
  personalize(a: AgentEndpoint, vmId: string, p: Personalization): Promise<void>;
  capacity(a: AgentEndpoint): Promise<HostCapacity>;
  /**
   * Ends the child's display connections (of `req.user` only, when set) and refuses the
   * tickets issued for it before now.
   */
  revokeDisplay(
    a: AgentEndpoint,
    vmId: string,
    req: RevokeDisplayRequest,
  ): Promise<RevokeDisplayResponse>;
}

export const AGENT_CLIENT = Symbol('AgentClient');

/**
 * The real client: JSON with the agent's bearer token and a deadline per call; over mutual
 * TLS (`tls`: our client certificate and CA) for agents enrolled with a certificate.
 */
export class HttpAgentClient implements AgentClient {
  constructor(
    private readonly timeoutMs: number,
    private readonly templateTimeoutMs: number,
    private readonly tls?: () => Promise<TlsMaterial>,
    private readonly prepareTimeoutMs = timeoutMs,
  ) {}

  private async call<T>(
    a: AgentEndpoint,
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = this.timeoutMs,
  ): Promise<T | undefined> {
    let res: AgentHttpAnswer;
    try {
      const url = `${a.apiUrl.replace(/\/+$/, '')}${path}`;
      res = await agentRequest(url, {
        method,
        headers: {
          authorization: `Bearer ${a.apiToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs,
        tls: url.startsWith('https:') && this.tls ? await this.tls() : undefined,
      });
    } catch (err) {
      throw new AgentCallError(0, `agent ${a.apiUrl} unreachable: ${(err as Error).message}`);
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) {
      let message = text.slice(0, 300);
      try {
        const m = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof m === 'string') message = m;
      } catch {
        // not JSON: keep the text
      }
      throw new AgentCallError(res.status, `agent ${method} ${path}: ${res.status} ${message}`);
    }
    return text ? (JSON.parse(text) as T) : undefined;
  }

  async ensureTemplate(a: AgentEndpoint, req: CreateTemplateRequest): Promise<TemplateInfo> {
    const t = await this.call<TemplateInfo>(
      a,
      'POST',
      AGENT_ROUTES.templates,
      req,
      this.templateTimeoutMs,
    );
    if (!t) throw new AgentCallError(502, 'agent answered a template request with nothing');
    return t;
  }

  async fork(
    a: AgentEndpoint,
    templateId: string,
    idempotencyKey?: string,
    settings: ForkSettings = {},
  ): Promise<ChildInfo> {
    const req: ForkRequest = {
      templateId,
      count: 1,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...settings,
    };
    const r = await this.call<ForkResponse>(
      a,
      'POST',
      AGENT_ROUTES.children,
      req,
      this.prepareTimeoutMs,
    );
    const child = r?.children[0];
    if (!child) throw new AgentCallError(502, 'agent answered a fork with no child');
    return child;
  }

  async destroy(a: AgentEndpoint, vmId: string): Promise<void> {
    try {
      await this.call(a, 'DELETE', AGENT_ROUTES.child(vmId));
    } catch (err) {
      if (err instanceof AgentCallError && err.status === 404) return;
      throw err;
    }
  }

  async personalize(a: AgentEndpoint, vmId: string, p: Personalization): Promise<void> {
    await this.call(a, 'POST', AGENT_ROUTES.personalize(vmId), p, this.prepareTimeoutMs);
  }

  async capacity(a: AgentEndpoint): Promise<HostCapacity> {
    const c = await this.call<HostCapacity>(a, 'GET', AGENT_ROUTES.capacity);
    if (!c) throw new AgentCallError(502, 'agent answered capacity with nothing');
    return c;
  }

  async revokeDisplay(
    a: AgentEndpoint,
    vmId: string,
    req: RevokeDisplayRequest,
  ): Promise<RevokeDisplayResponse> {
    const r = await this.call<RevokeDisplayResponse>(
      a,
      'POST',
      AGENT_ROUTES.revokeDisplay(vmId),
      req,
    );
    if (!r) throw new AgentCallError(502, 'agent answered a display revocation with nothing');
    return r;
  }
}
