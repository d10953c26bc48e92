import { Inject, Injectable } from '@nestjs/common';
import type { TlsMaterial } from '@forkdesk/agent-contract';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '../../config';
import { clientTls, loadOrCreateCa } from './ca-store';
import { CertificateAuthority, CLIENT_CERT_VALIDITY_DAYS } from './certificate-authority';

/** A broker's client certificate is replaced at half its life (brokers run for months). */
const CLIENT_RENEW_MS = (CLIENT_CERT_VALIDITY_DAYS / 2) * 86_400_000;

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
