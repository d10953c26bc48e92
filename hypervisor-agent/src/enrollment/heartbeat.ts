// Heartbeats: the agent tells the broker what it really runs (capacity, VMs, templates).

import {
  brokerHeartbeatPath,
  type AgentCredentials,
  type Heartbeat,
  type HeartbeatReply,
} from '@forkdesk/agent-contract';
import type { Logger } from 'pino';
import type { EnginePort } from '../engine/engine.port';

/** The part of the engine a heartbeat reads. */
export type EngineInventory = Pick<
  EnginePort,
  'capacity' | 'listChildren' | 'getChild' | 'listTemplates'
>;

export async function buildHeartbeat(
  engine: EngineInventory,
  agentId: string,
  agentVersion: string,
): Promise<Heartbeat> {
  return {
    agentId,
    agentVersion,
    sentAt: new Date().toISOString(),
    capacity: await engine.capacity(),
    // getChild adds each VM's private/shared memory, which admins see per desktop.
    vms: engine.listChildren().map((c) => engine.getChild(c.id) ?? c),
    templates: engine.listTemplates(),
  };
}

/** The broker's answer; an older broker (or an empty body) renews no leases. */
export function parseReply(text: string): HeartbeatReply {
  let r: Partial<HeartbeatReply> = {};
  try {
    r = text ? (JSON.parse(text) as Partial<HeartbeatReply>) : {};
  } catch {
    // not JSON: nothing renewed
  }
  const leases = Array.isArray(r.leases)
    ? r.leases.filter((l) => typeof l?.vmId === 'string' && typeof l.expiresAt === 'string')
    : [];
  return { orphans: Number(r.orphans) || 0, lost: Number(r.lost) || 0, leases };
}

/** The broker's reason for refusing a heartbeat (its `message`), or the raw body. */
export function parseRefusal(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : text;
  } catch {
    return text.slice(0, 500);
  }
}

/** Posts a heartbeat every `intervalMs`; a failed post is logged and retried next tick. */
export class HeartbeatSender {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(
    private readonly engine: EngineInventory,
    private readonly brokerUrl: string,
    private readonly credentials: AgentCredentials,
    private readonly agentVersion: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** The broker's answer (disk lease renewals). */
    private readonly onReply?: (reply: HeartbeatReply) => void,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /** One heartbeat; resolves false (and logs) when the broker did not take it. */
  async sendOnce(): Promise<boolean> {
    // Its own token for the broker; credentials from an older broker have the one token only.
    const { agentId, apiToken, heartbeatToken = apiToken } = this.credentials;
    try {
      const body = await buildHeartbeat(this.engine, agentId, this.agentVersion);
      const res = await fetch(`${this.brokerUrl}${brokerHeartbeatPath(agentId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${heartbeatToken}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(Math.min(this.intervalMs, 10_000)),
      });
      if (!res.ok) {
        const reason = parseRefusal(await res.text().catch(() => ''));
        this.log.error({ status: res.status, reason }, 'broker refused heartbeat');
        return false;
      }
      this.onReply?.(parseReply(await res.text()));
      return true;
    } catch (err) {
      this.log.warn({ err }, 'heartbeat failed');
      return false;
    }
  }

  private tick(): void {
    if (this.inFlight) return; // a slow broker must not pile up requests
    this.inFlight = this.sendOnce().then(() => {
      this.inFlight = undefined;
    });
  }
}
