// The agent's half of enrollment: trade the one-time token for credentials.

import {
  BROKER_ENROLL_PATH,
  isAgentCredentials,
  type EnrollmentRequest,
  type EnrollmentResponse,
} from '@forkdesk/agent-contract';

const ENROLL_TIMEOUT_MS = 15_000;

export async function enroll(
  brokerUrl: string,
  req: EnrollmentRequest,
): Promise<EnrollmentResponse> {
  let res: Response;
  try {
    res = await fetch(`${brokerUrl}${BROKER_ENROLL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(ENROLL_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`cannot reach broker at ${brokerUrl}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const msg = (body as { message?: unknown } | undefined)?.message;
    throw new Error(
      `broker refused enrollment (HTTP ${res.status}): ${typeof msg === 'string' ? msg : text.slice(0, 200)}`,
    );
  }
  if (!isAgentCredentials(body)) {
    throw new Error('broker answered enrollment without agentId, apiToken and displayKey');
  }
  const { agentId, apiToken, displayKey, heartbeatToken } = body;
  const { certificate, caCertificate } = body as EnrollmentResponse;
  const tokens = heartbeatToken ? { agentId, apiToken, heartbeatToken } : { agentId, apiToken };
  if (req.csr && (typeof certificate !== 'string' || typeof caCertificate !== 'string')) {
    throw new Error('broker answered enrollment without the certificate the agent asked for');
  }
  return req.csr
    ? { ...tokens, displayKey, certificate, caCertificate }
    : { ...tokens, displayKey };
}
