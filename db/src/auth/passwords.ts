import * as argon2 from 'argon2';
import { randomBytes } from 'crypto';

// OWASP's argon2id baseline: 19 MiB, 2 passes.
const OPTIONS: argon2.HashOptions = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
};

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, OPTIONS);

export const verifyPassword = (hash: string, password: string): Promise<boolean> =>
  argon2.verify(hash, password).catch(() => false);

/** A password for generated accounts: 128 bits, URL-safe. */
export const randomPassword = (): string => randomBytes(16).toString('base64url');
