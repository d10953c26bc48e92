// The broker's small CA for broker ⇄ agent mutual TLS: it signs each agent's certificate at
// enrollment (from the agent's CSR) and each broker's short client certificate. No I/O here.

import {
  asX509Key,
  asX509Keys,
  importKeyPair,
  newKeyPair,
  PKI_SIGNING_ALGORITHM,
  privateKeyToPem,
  type PemIdentity,
  type X509Key,
} from '@forkdesk/agent-contract';
import * as x509 from '@peculiar/x509';
import { isIP } from 'net';
import { randomBytes, type webcrypto } from 'crypto';

const DAY_MS = 86_400_000;
/** The CA outlives any agent; rotating it means re-enrolling every agent. */
export const CA_VALIDITY_DAYS = 20 * 365;
/** An agent keeps its certificate for its life on the host (re-enroll to renew). */
export const AGENT_CERT_VALIDITY_DAYS = 5 * 365;
/** Broker client certificates live in memory only and are minted again at each start. */
export const CLIENT_CERT_VALIDITY_DAYS = 30;
/** Tolerated clock skew between hosts. */
const BACKDATE_MS = 5 * 60_000;

type KeyPair = webcrypto.CryptoKeyPair;

const serial = (): string => {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER
  return b.toString('hex');
};

const validity = (days: number): { notBefore: Date; notAfter: Date } => ({
  notBefore: new Date(Date.now() - BACKDATE_MS),
  notAfter: new Date(Date.now() + days * DAY_MS),
});

const { digitalSignature, keyCertSign, cRLSign } = x509.KeyUsageFlags;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Subject alternative names from host names or IP addresses. */
function altNames(hosts: string[]): x509.SubjectAlternativeNameExtension {
  const unique = [...new Set(hosts.map((h) => h.replace(/^\[|\]$/g, '')))];
  return new x509.SubjectAlternativeNameExtension(
    unique.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
  );
}

export class CertificateAuthority {
  private constructor(
    readonly certificate: string,
    private readonly cert: x509.X509Certificate,
    private readonly keys: KeyPair,
  ) {}

  /** A new self-signed CA; `privateKey` is the PEM to keep (and protect). */
  static async create(name: string): Promise<{ ca: CertificateAuthority; privateKey: string }> {
    const keys = await newKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: [{ CN: [name] }],
      keys: asX509Keys(keys),
      signingAlgorithm: PKI_SIGNING_ALGORITHM,
      ...validity(CA_VALIDITY_DAYS),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(keyCertSign | cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(asX509Key(keys.publicKey)),
      ],
    });
    const pem = cert.toString('pem');
    return {
      ca: new CertificateAuthority(pem, cert, keys),
      privateKey: await privateKeyToPem(keys.privateKey),
    };
  }

  static async load(
    certificate: string,
    privateKey: string,
    passphrase?: string,
  ): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(certificate);
    const keys = await importKeyPair(privateKey, passphrase);
    return new CertificateAuthority(cert.toString('pem'), cert, keys);
  }

  private async issue(
    subject: string,
    publicKey: x509.PublicKey | X509Key,
    days: number,
    usage: string,
    hosts: string[],
  ): Promise<string> {
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage], false),
      await x509.AuthorityKeyIdentifierExtension.create(this.cert),
    ];
    if (hosts.length) extensions.push(altNames(hosts));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: [{ CN: [subject] }],
      issuer: this.cert.subject,
      publicKey,
      signingKey: asX509Key(this.keys.privateKey),
      signingAlgorithm: PKI_SIGNING_ALGORITHM,
      ...validity(days),
      extensions,
    });
    return cert.toString('pem');
  }

  /**
   * An agent's server certificate for its CSR: named by the agent's id, valid for the hosts
   * the broker calls it on (the API URL's host). A forged or malformed request is refused.
   */
  async signAgentCsr(csrPem: string, agentId: string, hosts: string[]): Promise<string> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new Error('csr is not a PEM certificate request');
    }
    if (!(await csr.verify())) throw new Error('csr signature does not verify');
    if (hosts.length === 0) throw new Error('an agent certificate needs at least one host');
    return this.issue(
      `agent-${agentId}`,
      csr.publicKey,
      AGENT_CERT_VALIDITY_DAYS,
      SERVER_AUTH,
      hosts,
    );
  }

  /** A client certificate (key made here) for a broker calling agents. */
  async issueClient(name: string): Promise<PemIdentity> {
    const keys = await newKeyPair();
    const publicKey = asX509Key(keys.publicKey);
    return {
      certificate: await this.issue(name, publicKey, CLIENT_CERT_VALIDITY_DAYS, CLIENT_AUTH, []),
      privateKey: await privateKeyToPem(keys.privateKey),
    };
  }
}
