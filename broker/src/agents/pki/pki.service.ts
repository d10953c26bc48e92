import { Inject, Injectable } from '@nestjs/common';
import type { TlsMaterial } from '@forkdesk/agent-contract';
import { createPrivateKey } from 'crypto';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../../config';
import { CertificateAuthority, CLIENT_CERT_VALIDITY_DAYS } from './certificate-authority';

/** A broker's client certificate is replaced at half its life (brokers run for months). */
const CLIENT_RENEW_MS = (CLIENT_CERT_VALIDITY_DAYS / 2) * 86_400_000;

/** Settings row of the CA shared by every broker on the database. */
export const CA_SETTING = 'pki.ca';

interface StoredCa {
  certificate: string;
  /** PKCS#8 PEM; encrypted (aes-256-cbc) when the broker has FORKDESK_CA_PASSPHRASE. */
  privateKey: string;
  encrypted: boolean;
}

/**
 * The CA lives in the settings table so that every broker on the database signs and trusts
 * the same agents; the first broker to start creates it. Its key is encrypted with
 * FORKDESK_CA_PASSPHRASE when set; without it the database is the trust anchor (it already
 * holds the agents' API tokens).
 */
export async function loadOrCreateCa(
  ds: DataSource,
  passphrase?: string,
): Promise<CertificateAuthority> {
  const { ca, privateKey } = await CertificateAuthority.create('Forkdesk agent CA');
  const fresh: StoredCa = {
    certificate: ca.certificate,
    privateKey: passphrase
      ? (createPrivateKey(privateKey).export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase,
        }) as string)
      : privateKey,
    encrypted: passphrase !== undefined,
  };
  // Several brokers may start at once: the first insert wins, every broker reads the winner.
  await ds.query(
    `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING`,
    [CA_SETTING, JSON.stringify(fresh)],
  );
  const [row] = (await ds.query(`SELECT value FROM settings WHERE key = $1`, [CA_SETTING])) as {
    value: StoredCa;
  }[];
  const stored = row.value;
  if (stored.encrypted && !passphrase)
    throw new Error('the agent CA key is encrypted: set FORKDESK_CA_PASSPHRASE');
  try {
    return await CertificateAuthority.load(
      stored.certificate,
      stored.privateKey,
      stored.encrypted ? passphrase : undefined,
    );
  } catch (err) {
    throw new Error(`cannot load the agent CA from settings: ${(err as Error).message}`);
  }
}

/** A client certificate for calling agents, from the CA on the database (brokers, tests). */
export async function clientTls(ca: CertificateAuthority, name: string): Promise<TlsMaterial> {
  return { ...(await ca.issueClient(name)), caCertificate: ca.certificate };
}

/** The broker's CA and its own client identity, loaded once per process. */
@Injectable()
export class PkiService {
  private ca?: Promise<CertificateAuthority>;
  private client?: Promise<TlsMaterial>;
  private clientIssuedAt = 0;

  constructor(
    private readonly ds: DataSource,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  authority(): Promise<CertificateAuthority> {
    this.ca ??= loadOrCreateCa(this.ds, this.config.caPassphrase).catch((err: unknown) => {
      this.ca = undefined; // e.g. the database was away: try again on the next call
      throw err;
    });
    return this.ca;
  }

  /** This broker's client certificate (key in memory only) plus the CA it trusts agents by. */
  clientTls(): Promise<TlsMaterial> {
    if (Date.now() - this.clientIssuedAt > CLIENT_RENEW_MS) this.client = undefined;
    if (!this.client) this.clientIssuedAt = Date.now();
    this.client ??= this.authority()
      .then((ca) => clientTls(ca, `broker-${hostname()}-${process.pid}`))
      .catch((err: unknown) => {
        this.client = undefined;
        throw err;
      });
    return this.client;
  }
}
