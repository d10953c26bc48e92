import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The broker's Prometheus metrics, in a registry of its own (several brokers in one test). */
@Injectable()
export class BrokerMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'forkdesk_broker_http_request_duration_seconds',
    help: 'API request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'forkdesk_broker_logins_total',
    help: 'Login attempts by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly openDuration = new Histogram({
    name: 'forkdesk_broker_open_desktop_seconds',
    help: 'Time to answer "open": from a spare, or by forking one',
    labelNames: ['path'],
    // Fine below 100 ms: the warm path's p50 target is read from these buckets.
    buckets: [
      0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1,
      2.5, 5, 10,
    ],
    registers: [this.registry],
  });

  /** The broker's own share of "open": entitlement check and the assignment transaction. */
  readonly openAssign = new Histogram({
    name: 'forkdesk_broker_open_assign_seconds',
    help: 'Time of "open" spent in the database (entitlement and assignment), by path',
    labelNames: ['path'],
    buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly openRefused = new Counter({
    name: 'forkdesk_broker_open_refused_total',
    help: '"open" answered 503, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly transitions = new Counter({
    name: 'forkdesk_broker_desktop_transitions_total',
    help: 'Desktop state changes',
    labelNames: ['from', 'to'],
    registers: [this.registry],
  });

  readonly agentCalls = new Histogram({
    name: 'forkdesk_broker_agent_call_seconds',
    help: 'Calls to agents by operation and outcome',
    labelNames: ['op', 'ok'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'forkdesk_broker_scheduler_leader',
    help: '1 while this broker holds the scheduler lock',
    registers: [this.registry],
  });

  readonly schedulerRuns = new Counter({
    name: 'forkdesk_broker_scheduler_runs_total',
    help: 'Scheduler jobs run by this broker',
    labelNames: ['job', 'ok'],
    registers: [this.registry],
  });

  readonly desktops = new Gauge({
    name: 'forkdesk_broker_desktops',
    help: 'Desktops by state (all brokers, from the database)',
    labelNames: ['state'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'forkdesk_broker_' });
  }
}
