// The agent's Prometheus metrics, in prom-client's default registry (one name per thing).

import type { ChildInfo } from '@forkdesk/agent-contract';
import {
  Counter,
  Gauge,
  Histogram,
  collectDefaultMetrics,
  register,
  type Metric,
} from 'prom-client';
import type { EnginePort } from '../engine/engine.port';
import { once } from './once';

const MIB = 1024 * 1024;

/** Registers once per process: several apps (tests) may share the default registry. */
const metric = <T extends Metric>(name: string, make: () => T): T => once(register, name, make);

export class AgentMetrics {
  readonly httpSeconds = metric(
    'forkdesk_agent_http_request_duration_seconds',
    () =>
      new Histogram({
        name: 'forkdesk_agent_http_request_duration_seconds',
        help: 'Agent API request duration by route pattern and status',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      }),
  );

  readonly childForkSeconds = metric(
    'forkdesk_agent_child_fork_seconds',
    () =>
      new Histogram({
        name: 'forkdesk_agent_child_fork_seconds',
        help: "Per-child fork latency reported by the engine (request to the guest agent's answer)",
        labelNames: ['warm'],
        buckets: [0.01, 0.02, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
  );

  readonly authFailures = metric(
    'forkdesk_agent_auth_failures_total',
    () =>
      new Counter({
        name: 'forkdesk_agent_auth_failures_total',
        help: 'API requests refused for a missing or wrong bearer token',
      }),
  );

  private readonly children = metric(
    'forkdesk_agent_children',
    () =>
      new Gauge({
        name: 'forkdesk_agent_children',
        help: 'Child VMs run by this agent, by state',
        labelNames: ['state'],
      }),
  );

  private readonly templates = metric(
    'forkdesk_agent_templates',
    () =>
      new Gauge({
        name: 'forkdesk_agent_templates',
        help: 'Templates on this agent, by state',
        labelNames: ['state'],
      }),
  );

  private readonly memory = metric(
    'forkdesk_agent_memory_bytes',
    () =>
      new Gauge({
        name: 'forkdesk_agent_memory_bytes',
        help: 'Host memory: total, available, reserve, and private memory of all children',
        labelNames: ['kind'],
      }),
  );

  constructor() {
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  }

  observeForks(children: ChildInfo[]): void {
    for (const c of children) {
      this.childForkSeconds.observe({ warm: String(c.warm) }, c.forkMs / 1000);
    }
  }

  /** Refreshes the engine-state gauges, then renders the whole registry. */
  async render(engine: EnginePort): Promise<string> {
    this.countBy(this.children, engine.listChildren(), (c) => c.state, [
      'starting',
      'running',
      'paused',
      'dead',
    ]);
    this.countBy(this.templates, engine.listTemplates(), (t) => t.state, [
      'building',
      'ready',
      'failed',
    ]);
    const cap = await engine.capacity();
    this.memory.set({ kind: 'total' }, cap.totalMiB * MIB);
    this.memory.set({ kind: 'available' }, cap.availableMiB * MIB);
    this.memory.set({ kind: 'reserve' }, cap.reserveMiB * MIB);
    this.memory.set({ kind: 'children_private' }, cap.childrenPrivateMiB * MIB);
    return register.metrics();
  }

  get contentType(): string {
    return register.contentType;
  }

  private countBy<T>(gauge: Gauge, items: T[], key: (t: T) => string, states: string[]): void {
    for (const s of states) gauge.set({ state: s }, items.filter((i) => key(i) === s).length);
  }
}
