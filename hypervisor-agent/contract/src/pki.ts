// X.509 for broker ⇄ agent mutual TLS: keys, PEM and certificate requests, shared by the
// agent (which makes its key and a CSR at enrollment) and the broker's CA (which signs it).
// ECDSA P-256 through Node's WebCrypto; @peculiar/x509 builds and parses the ASN.1.

import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type Key = webcrypto.CryptoKey;
type KeyPair = webcrypto.CryptoKeyPair;
/** @peculiar/x509 types keys with the DOM's CryptoKey; Node's WebCrypto keys are the same. */
export type X509KeyPair = Parameters<
  typeof x509.Pkcs10CertificateRequestGenerator.create
>[0]['keys'];
export type X509Key = X509KeyPair['privateKey'];
export const asX509Keys = (k: KeyPair): X509KeyPair => k as unknown as X509KeyPair;
export const asX509Key = (k: Key): X509Key => k as unknown as X509Key;

export const PKI_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const PKI_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Upper bound on a PEM certificate or request on the wire. */
export const PEM_MAX_LENGTH = 8192;

/** A certificate and its private key, both PEM (the key as unencrypted PKCS#8). */
export interface PemIdentity {
  certificate: string;
  privateKey: string;
}

/** What a TLS endpoint needs: its own identity and the CA that vouches for its peers. */
export interface TlsMaterial extends PemIdentity {
  caCertificate: string;
}

export function newKeyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(PKI_KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function privateKeyToPem(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM key (encrypted ones need `passphrase`) with its public half. */
export async function importKeyPair(pem: string, passphrase?: string): Promise<KeyPair> {
  const node = createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  const pkcs8 = node.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(node).export({ type: 'spki', format: 'der' });
  const subtle = webcrypto.subtle;
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, PKI_KEY_ALGORITHM, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, PKI_KEY_ALGORITHM, true, ['verify']),
  };
}

/** A PKCS#10 request for `commonName`, signed with the new key (proof of possession). */
export async function createCsr(keys: KeyPair, commonName: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: asX509Keys(keys),
    signingAlgorithm: PKI_SIGNING_ALGORITHM,
  });
  return csr.toString('pem');
}

/** SHA-256 of the DER certificate, hex: how logs and the audit name a certificate. */
export async function certificateFingerprint(pem: string): Promise<string> {
  const thumb = await new x509.X509Certificate(pem).getThumbprint('SHA-256');
  return Buffer.from(thumb).toString('hex');
}
