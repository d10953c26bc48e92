// Enrollment: the broker mints a one-time enrollment token; the agent trades it for credentials.

/** Where the agent posts its enrollment request, relative to the broker's base URL. */
export const BROKER_ENROLL_PATH = '/v1/agents/enroll';

/** Sent by the agent to the broker once, with the one-time token an admin gave it. */
export interface EnrollmentRequest {
  enrollmentToken: string;
  hostname: string;
  agentVersion: string;
  /** Base URL the broker should use to call this agent's HTTP API. */
  apiUrl: string;
  /** host:port of this agent's display gateway (guacd protocol), when it runs one. */
  gatewayAddress?: string;
  /**
   * PKCS#10 request (PEM) for the certificate the agent's API will serve with mutual TLS;
   * its key never leaves the agent. Absent: the agent serves plain HTTP (opted out).
   */
  csr?: string;
}

/** The broker's answer: credentials the agent keeps for its lifetime. */
export interface EnrollmentResponse {
  agentId: string;
  /** Bearer token the broker presents when it calls the agent (the broker keeps it to call). */
  apiToken: string;
  /**
   * Bearer token the agent presents when it calls the broker (heartbeats); the broker keeps
   * only its hash. Absent (brokers before issue 15, and credentials stored by them): the agent
   * presents its apiToken instead.
   */
  heartbeatToken?: string;
  /** Per-agent HMAC key (base64) for display tickets; see tickets.ts. */
  displayKey: string;
  /** The agent's certificate (PEM), signed by the broker's CA, when the request had a CSR. */
  certificate?: string;
  /** The broker's CA (PEM): the agent accepts only clients with a certificate it signed. */
  caCertificate?: string;
}

/** What the agent stores (file mode 0600 in its data dir). */
export type AgentCredentials = EnrollmentResponse;

/** True when `v` has the shape of an EnrollmentResponse (checked on data from the wire). */
export function isAgentCredentials(v: unknown): v is AgentCredentials {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.agentId === 'string' &&
    o.agentId.length > 0 &&
    typeof o.apiToken === 'string' &&
    o.apiToken.length >= 16 &&
    typeof o.displayKey === 'string' &&
    o.displayKey.length > 0 &&
    (o.heartbeatToken === undefined ||
      (typeof o.heartbeatToken === 'string' && o.heartbeatToken.length >= 16))
  );
}
