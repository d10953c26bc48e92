// One HTTP(S) request to an agent's API with a deadline. https URLs use mutual TLS: our
// client certificate, and the agent's certificate checked against our CA only (not the
// system's roots) and against the URL's host.

import * as http from 'http';
import * as https from 'https';
import type { TlsMaterial } from '@forkdesk/agent-contract';

export interface AgentHttpRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Required for https URLs. */
  tls?: TlsMaterial;
}

export interface AgentHttpAnswer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** One keep-alive pool per TLS identity (a broker has one; tests may make a few). */
const pools = new WeakMap<TlsMaterial, https.Agent>();

function tlsPool(tls: TlsMaterial): https.Agent {
  let pool = pools.get(tls);
  if (!pool) {
    pool = new https.Agent({
      keepAlive: true,
      key: tls.privateKey,
      cert: tls.certificate,
      ca: tls.caCertificate,
      rejectUnauthorized: true,
    });
    pools.set(tls, pool);
  }
  return pool;
}

export function agentRequest(url: string, req: AgentHttpRequest): Promise<AgentHttpAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (secure && !req.tls) return Promise.reject(new Error(`no client certificate for ${url}`));
  const options: https.RequestOptions = {
    method: req.method,
    headers: {
      ...req.headers,
      ...(req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }),
    },
    signal: AbortSignal.timeout(req.timeoutMs),
    agent: secure && req.tls ? tlsPool(req.tls) : undefined,
  };
  return new Promise((resolve, reject) => {
    const r = (secure ? https : http).request(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.body);
  });
}
