import { createHash } from 'crypto';
import { realpathSync } from 'fs';
import * as path from 'path';

/** The repository root: infra/ sits right under it, both in src/ and in dist/. */
export const repoRoot = (): string => path.resolve(__dirname, '..', '..', '..');

/** Run-time state of this checkout (git-ignored); FORKDESK_STATE_DIR runs a second one beside it. */
export const stateDir = (): string =>
  process.env.FORKDESK_STATE_DIR ?? path.join(repoRoot(), '.forkdesk');

/**
 * Files the unprivileged service user must reach live under /var/lib/forkdesk/<key>, since a
 * clone under /root is not traversable by other users. The key ties them to this checkout.
 */
export const instanceKey = (): string =>
  createHash('sha256').update(realpathSync(repoRoot())).digest('hex').slice(0, 12);

export const serviceBaseDir = (): string =>
  process.env.FORKDESK_SERVICE_DIR ?? path.join('/var/lib/forkdesk', instanceKey());

/** Built images are cached outside the clone so fresh clones reuse them. */
export const cacheDir = (): string =>
  path.join(
    process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/root', '.cache'),
    'forkdesk',
  );
