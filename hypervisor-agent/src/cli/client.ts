// A small typed client of the agent's HTTP API (used by the CLI).

import {
  AGENT_ROUTES,
  type ChildInfo,
  type CreateTemplateRequest,
  type ForkResponse,
  type ForkRunningResponse,
  type HostCapacity,
  type TemplateInfo,
} from '@forkdesk/agent-contract';

/** A non-2xx answer from the agent, with its message and Retry-After when given. */
export class AgentApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export class AgentClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  listTemplates(): Promise<TemplateInfo[]> {
    return this.call('GET', AGENT_ROUTES.templates);
  }
  getTemplate(id: string): Promise<TemplateInfo | undefined> {
    return this.orUndefinedOn404(this.call('GET', AGENT_ROUTES.template(id)));
  }
  ensureTemplate(req: CreateTemplateRequest): Promise<TemplateInfo> {
    return this.call('POST', AGENT_ROUTES.templates, req);
  }
  listChildren(): Promise<ChildInfo[]> {
    return this.call('GET', AGENT_ROUTES.children);
  }
  getChild(id: string): Promise<ChildInfo | undefined> {
    return this.orUndefinedOn404(this.call('GET', AGENT_ROUTES.child(id)));
  }
  fork(templateId: string, count: number): Promise<ForkResponse> {
    return this.call('POST', AGENT_ROUTES.children, { templateId, count });
  }
  forkRunning(vmId: string, count: number): Promise<ForkRunningResponse> {
    return this.call('POST', AGENT_ROUTES.forkRunning(vmId), { count });
  }
  destroy(id: string): Promise<void> {
    return this.call('DELETE', AGENT_ROUTES.child(id));
  }
  capacity(): Promise<HostCapacity> {
    return this.call('GET', AGENT_ROUTES.capacity);
  }

  private async orUndefinedOn404<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof AgentApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs / 1000} s`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Error(`cannot reach agent at ${this.baseUrl}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const msg = (parsed as { message?: unknown } | undefined)?.message;
      const retry = Number(res.headers.get('retry-after'));
      throw new AgentApiError(
        res.status,
        typeof msg === 'string' ? msg : text.slice(0, 200) || res.statusText,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    return parsed as T;
  }
}
