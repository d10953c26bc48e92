import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';

/** What guacamole-lite reads from a token: which guacd to dial and the connect arguments. */
export interface TunnelConnection {
  connection: {
    type: 'vnc';
    guacdHost: string;
    guacdPort: number;
    settings: Record<string, string | number>;
  };
}

const CYPHER = 'aes-256-cbc';

/**
 * guacamole-lite's token format: base64(JSON {iv, value}) with AES-256-CBC. It has no
 * integrity; the signed display ticket inside is what the gateway trusts.
 */
export function encryptTunnelToken(data: TunnelConnection, key: Buffer): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv(CYPHER, key, iv);
  const value = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return Buffer.from(
    JSON.stringify({ iv: iv.toString('base64'), value: value.toString('base64') }),
  ).toString('base64');
}

/** The inverse (tests, and the tunnel's close handler). */
export function decryptTunnelToken(token: string, key: Buffer): TunnelConnection {
  const { iv, value } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
    iv: string;
    value: string;
  };
  const d = createDecipheriv(CYPHER, key, Buffer.from(iv, 'base64'));
  const plain = Buffer.concat([d.update(Buffer.from(value, 'base64')), d.final()]);
  return JSON.parse(plain.toString('utf8')) as TunnelConnection;
}

/**
 * Whether an upgrade request carries a token this broker made. guacamole-lite 1.2 throws an
 * unhandled rejection on a token it cannot read, so the upgrade is refused before it gets one.
 */
export function isTunnelTokenValid(url: string | undefined, key: Buffer): boolean {
  const token = new URL(url ?? '/', 'http://broker').searchParams.get('token');
  if (!token) return false;
  try {
    const c = decryptTunnelToken(token, key).connection;
    return typeof c === 'object' && c !== null && typeof c.guacdHost === 'string';
  } catch {
    return false;
  }
}
