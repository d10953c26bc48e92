import type {
  ChildInfo,
  CreateTemplateRequest,
  ForkSettings,
  HostCapacity,
  Personalization,
  RevokeDisplayRequest,
  RevokeDisplayResponse,
  TemplateInfo,
} from '@forkdesk/agent-contract';
import type { AgentClient, AgentEndpoint } from '../agents/agent-client';
import { AgentCallError } from '../agents/agent-client';

/**
 * FAKE agent client for the broker's unit and DB tests: an in-process stand-in that "forks"
 * instantly, so tests exercise the broker's transactions, not QEMU. Never used outside tests.
 */
export class FakeAgentClient implements AgentClient {
  /** Each child with the agent it is on and the settings it was forked with. */
  readonly children = new Map<string, ChildInfo & ForkSettings & { agent: string }>();
  readonly personalized: { vmId: string; p: Personalization }[] = [];
  readonly templates: CreateTemplateRequest[] = [];
  /** Display revocations received, in order. */
  readonly revocations: { agent: string; vmId: string; user?: string }[] = [];
  /** Set to make display revocations fail as an unreachable agent would. */
  failRevocations = false;
  /** Set to make the next forks fail. */
  failForks = false;
  /** Set to make the next fork happen but its answer be lost (status 0, as a timeout). */
  loseNextForkAnswer = false;
  /** The next this many personalize calls fail, as a failed fork hook in the guest. */
  failPersonalizations = 0;
  private n = 0;

  async ensureTemplate(a: AgentEndpoint, req: CreateTemplateRequest): Promise<TemplateInfo> {
    this.templates.push(req);
    return {
      id: `tpl-${a.apiUrl.length}-${req.imageVersion}`,
      imageVersion: req.imageVersion,
      shape: req.shape ?? { vcpus: 1, memoryMiB: 1024 },
      accel: 'tcg',
      state: 'ready',
      deviceStateBytes: 1000,
      buildMs: 1,
      createdAt: new Date().toISOString(),
      children: 0,
    };
  }

  /** Fork calls received, with their idempotency keys. */
  readonly forkKeys: (string | undefined)[] = [];
  private readonly byKey = new Map<string, ChildInfo>();

  async fork(
    a: AgentEndpoint,
    templateId: string,
    idempotencyKey?: string,
    settings: ForkSettings = {},
  ): Promise<ChildInfo> {
    this.forkKeys.push(idempotencyKey);
    if (this.failForks) throw new AgentCallError(503, 'fake: no memory');
    // Like the agent: a retried key answers the first child.
    const again = idempotencyKey ? this.byKey.get(idempotencyKey) : undefined;
    if (again) return again;
    const id = `vm-${++this.n}`;
    const child = {
      id,
      templateId,
      pid: 1000 + this.n,
      state: 'running' as const,
      vncSocket: `/tmp/fake/${id}.vnc`,
      createdAt: new Date().toISOString(),
      forkMs: 1,
      warm: true,
      agent: a.apiUrl,
      ...settings,
    };
    this.children.set(id, child);
    if (idempotencyKey) this.byKey.set(idempotencyKey, child);
    if (this.loseNextForkAnswer) {
      this.loseNextForkAnswer = false;
      throw new AgentCallError(0, 'fake: the answer was lost');
    }
    return child;
  }

  async destroy(_a: AgentEndpoint, vmId: string): Promise<void> {
    this.children.delete(vmId);
  }

  async personalize(_a: AgentEndpoint, vmId: string, p: Personalization): Promise<void> {
    if (!this.children.has(vmId)) throw new AgentCallError(404, `unknown VM "${vmId}"`);
    if (this.failPersonalizations > 0) {
      this.failPersonalizations--;
      throw new AgentCallError(500, 'fake: the fork hook exited with status 1');
    }
    this.personalized.push({ vmId, p });
  }

  async capacity(): Promise<HostCapacity> {
    return {
      hostname: 'fake',
      accel: 'tcg',
      totalMiB: 24_000,
      availableMiB: 20_000,
      reserveMiB: 1000,
      children: this.children.size,
      templates: 1,
      childrenPrivateMiB: 0,
    };
  }

  async revokeDisplay(
    a: AgentEndpoint,
    vmId: string,
    req: RevokeDisplayRequest,
  ): Promise<RevokeDisplayResponse> {
    if (this.failRevocations) throw new AgentCallError(0, 'fake: agent unreachable');
    this.revocations.push({ agent: a.apiUrl, vmId, ...(req.user ? { user: req.user } : {}) });
    return { closed: 0 };
  }
}
