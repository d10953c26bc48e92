// The agents' CA as stored in the database, and client certificates from it. Plain functions
// (no NestJS): the broker's PkiService and the tests' stack both use them.
import type { TlsMaterial } from '@forkdesk/agent-contract';
import { createPrivateKey } from 'crypto';
import type { DataSource } from 'typeorm';
import { SettingsRepository } from '../../common/settings.repository';
import { CertificateAuthority } from './certificate-authority';

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
  const settings = new SettingsRepository(ds);
  await settings.insertIfAbsent(CA_SETTING, fresh);
  const stored = await settings.get<StoredCa>(CA_SETTING);
  if (!stored) throw new Error('the agent CA setting vanished as it was stored');
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
