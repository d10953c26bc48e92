// The CA's certificates against Node's own TLS: an agent server with its signed certificate
// and a broker client with its client certificate agree; anything from another CA is refused.

import { createCsr, newKeyPair, privateKeyToPem, type TlsMaterial } from '@forkdesk/agent-contract';
import { createPrivateKey, X509Certificate } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { HttpAgentClient, AgentCallError } from '../agent-client';
import { agentRequest } from '../agent-http';
import { CertificateAuthority } from './certificate-authority';

interface AgentServer {
  url: string;
  close(): Promise<void>;
}

/** An HTTPS server the way the agent serves: its certificate, client certificates required. */
async function agentServer(ca: CertificateAuthority, host = '127.0.0.1'): Promise<AgentServer> {
  const keys = await newKeyPair();
  const cert = await ca.signAgentCsr(await createCsr(keys, 'h'), 'a-1', [host]);
  const server = https.createServer(
    {
      key: await privateKeyToPem(keys.privateKey),
      cert,
      ca: ca.certificate,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ hostname: 'h' }));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const client = async (ca: CertificateAuthority): Promise<TlsMaterial> => ({
  ...(await ca.issueClient('broker-test')),
  caCertificate: ca.certificate,
});

let ours: CertificateAuthority;
let theirs: CertificateAuthority;
beforeAll(async () => {
  ours = (await CertificateAuthority.create('ours')).ca;
  theirs = (await CertificateAuthority.create('theirs')).ca;
});

describe('CertificateAuthority', () => {
  it('signs an agent CSR for its hosts and survives a save and load of its key', async () => {
    const { ca, privateKey } = await CertificateAuthority.create('saved');
    const loaded = await CertificateAuthority.load(ca.certificate, privateKey);
    const pem = await loaded.signAgentCsr(await createCsr(await newKeyPair(), 'x'), 'agent-9', [
      '10.1.2.3',
      'host.example',
    ]);
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('CN=agent-agent-9');
    expect(cert.subjectAltName).toBe('IP Address:10.1.2.3, DNS:host.example');
    expect(cert.checkIssued(new X509Certificate(ca.certificate))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.certificate).publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(new X509Certificate(ca.certificate).ca).toBe(true);
  });

  it('loads a key encrypted with a passphrase only with that passphrase', async () => {
    const { ca, privateKey } = await CertificateAuthority.create('locked');
    const locked = createPrivateKey(privateKey).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pass-1',
    }) as string;
    expect(locked).toContain('ENCRYPTED PRIVATE KEY');
    const loaded = await CertificateAuthority.load(ca.certificate, locked, 'pass-1');
    expect(loaded.certificate).toBe(ca.certificate);
    await expect(CertificateAuthority.load(ca.certificate, locked, 'wrong')).rejects.toThrow();
    await expect(CertificateAuthority.load(ca.certificate, locked)).rejects.toThrow();
  });

  it('refuses a CSR that is not one or whose signature is forged', async () => {
    await expect(ours.signAgentCsr('garbage', 'a', ['h'])).rejects.toThrow(/not a PEM/);
    const csr = await createCsr(await newKeyPair(), 'x');
    const lines = csr.split('\n');
    const body = lines[lines.length - 3];
    lines[lines.length - 3] =
      `${body.slice(0, -6)}${body.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    await expect(ours.signAgentCsr(lines.join('\n'), 'a', ['h'])).rejects.toThrow();
  });
});

describe('mutual TLS between the broker client and an agent', () => {
  let agent: AgentServer;
  beforeAll(async () => {
    agent = await agentServer(ours);
  });
  afterAll(() => agent.close());

  it('works with a client certificate from the same CA', async () => {
    const c = new HttpAgentClient(5000, 5000, () => client(ours));
    const cap = await c.capacity({ apiUrl: agent.url, apiToken: 't' });
    expect(cap).toEqual({ hostname: 'h' });
  });

  it('the agent refuses a client with no certificate or one from another CA', async () => {
    const none = agentRequest(`${agent.url}/v1/capacity`, {
      method: 'GET',
      timeoutMs: 5000,
      tls: { ...(await client(ours)), certificate: '', privateKey: '' },
    });
    await expect(none).rejects.toThrow(/certificate|alert|socket|reset/i);
    const foreign = new HttpAgentClient(5000, 5000, async () => ({
      ...(await client(theirs)),
      caCertificate: ours.certificate, // trusts the agent, but its own certificate is foreign
    }));
    const err = await foreign.capacity({ apiUrl: agent.url, apiToken: 't' }).catch((e) => e);
    expect(err).toBeInstanceOf(AgentCallError);
    expect((err as AgentCallError).status).toBe(0);
  });

  it('the broker refuses an agent whose certificate is from another CA', async () => {
    const c = new HttpAgentClient(5000, 5000, async () => ({
      ...(await client(ours)),
      caCertificate: theirs.certificate,
    }));
    await expect(c.capacity({ apiUrl: agent.url, apiToken: 't' })).rejects.toThrow(
      /unreachable: .*(self.signed|unable to verify|certificate)/i,
    );
  });

  it('the broker refuses an agent certificate made for another host', async () => {
    const other = await agentServer(ours, '10.9.9.9');
    try {
      const c = new HttpAgentClient(5000, 5000, () => client(ours));
      await expect(c.capacity({ apiUrl: other.url, apiToken: 't' })).rejects.toThrow(
        /IP: 127.0.0.1 is not in the cert's list/,
      );
    } finally {
      await other.close();
    }
  });
});
