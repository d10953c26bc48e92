import type { Metric, Registry } from 'prom-client';

/** Registers a metric once per registry: several apps (tests, a restarted agent) may share one. */
export function once<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
