// One log line and one histogram sample per HTTP request, labelled by route pattern.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AgentMetrics } from '../metrics/agent-metrics';

/** Express adds the matched route and mount path to the request. */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/** Probes and scrapes are frequent; they log at debug. */
const QUIET_PATHS = new Set(['/health', '/metrics']);

export function requestObserver(log: Logger, metrics: AgentMetrics) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const routePath = req.route?.path;
      const route =
        typeof routePath === 'string' ? `${req.baseUrl ?? ''}${routePath}` : 'unmatched';
      const method = req.method ?? 'GET';
      const status = res.statusCode;
      metrics.httpSeconds.observe({ method, route, status: String(status) }, seconds);
      const quiet = QUIET_PATHS.has(route) && status < 400;
      log[quiet ? 'debug' : 'info'](
        { method, url: req.url, route, status, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      );
    });
    next();
  };
}
