import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { once } from '../metrics/once';

/** The display gateway's Prometheus metrics, registered on the agent's registry. */
export interface GatewayMetrics {
  connections: Gauge<'mode'>;
  connectionsTotal: Counter<'result'>;
  frames: Counter;
  bytes: Counter;
  encodeSeconds: Histogram<'format'>;
  droppedFrames: Counter;
  errors: Counter<'status'>;
  input: Counter<'kind' | 'result'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    connections: once(
      registry,
      'forkdesk_gateway_connections',
      () =>
        new Gauge({
          name: 'forkdesk_gateway_connections',
          help: 'Open display connections by mode',
          labelNames: ['mode'],
          registers,
        }),
    ),
    connectionsTotal: once(
      registry,
      'forkdesk_gateway_connections_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_connections_total',
          help: 'Display connection attempts by result',
          labelNames: ['result'],
          registers,
        }),
    ),
    frames: once(
      registry,
      'forkdesk_gateway_frames_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_frames_total',
          help: 'Frames (sync-terminated) sent to clients',
          registers,
        }),
    ),
    bytes: once(
      registry,
      'forkdesk_gateway_sent_bytes_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_sent_bytes_total',
          help: 'Bytes of Guacamole instructions sent to clients',
          registers,
        }),
    ),
    encodeSeconds: once(
      registry,
      'forkdesk_gateway_encode_seconds',
      () =>
        new Histogram({
          name: 'forkdesk_gateway_encode_seconds',
          help: 'Time to encode one dirty region',
          labelNames: ['format'],
          buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
          registers,
        }),
    ),
    droppedFrames: once(
      registry,
      'forkdesk_gateway_dropped_frames_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_dropped_frames_total',
          help: 'Display updates merged into a later frame because the client was behind',
          registers,
        }),
    ),
    errors: once(
      registry,
      'forkdesk_gateway_errors_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_errors_total',
          help: 'Connections closed with a Guacamole error, by status code',
          labelNames: ['status'],
          registers,
        }),
    ),
    input: once(
      registry,
      'forkdesk_gateway_input_total',
      () =>
        new Counter({
          name: 'forkdesk_gateway_input_total',
          help: 'Key and pointer events from clients: forwarded to the desktop, or dropped (a shadow)',
          labelNames: ['kind', 'result'],
          registers,
        }),
    ),
  };
}
