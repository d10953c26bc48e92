// What other parts' tests use of the broker (`@forkdesk/broker/testing`, never built into dist):
// its agent client and mTLS material, tunnel tokens and the scheduler's lock key, without
// loading the whole application.
export { HttpAgentClient } from '../agents/agent-client';
export { agentRequest, type AgentHttpAnswer } from '../agents/agent-http';
export { clientTls, loadOrCreateCa } from '../agents/pki/ca-store';
export { CertificateAuthority } from '../agents/pki/certificate-authority';
export { SCHEDULER_LOCK_KEY } from '../scheduler/leader-lock';
export { encryptTunnelToken } from '../tunnel/tunnel-token';
