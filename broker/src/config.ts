import { isAbsolute, resolve } from 'path';

/** The broker's settings, from the environment, with defaults for a one-machine start. */
export interface BrokerConfig {
  /** Address the HTTP server binds; loopback unless told otherwise. */
  host: string;
  port: number;
  databaseUrl: string;
  /** Public URL of the portal, printed by `npm run up` and used in links. */
  publicUrl: string;
  /** PostgreSQL connections per broker process. */
  dbPoolSize: number;
  logLevel: string;
  /** Built portal served at `/` when the directory exists. */
  portalDir: string;
  auth: AuthConfig;
  agents: AgentsConfig;
  scheduler: SchedulerConfig;
  homes: HomesConfig;
  holds: HoldsConfig;
  /** How long "open" waits for a fork before answering `forking` (the portal then polls). */
  openWaitMs: number;
  /** Base64 AES-256 key for guacamole-lite tokens; when unset, one is kept in the database. */
  tunnelKey?: string;
  /** Display tickets live this long (≤ 60 s by the ticket contract). */
  ticketTtlS: number;
  /** Serve the portal, API and tunnel over HTTPS/WSS with this certificate (PEM files). */
  tls?: TlsFiles;
  /** Encrypts the agent CA's key in the settings table (agents/pki); unset: stored plain. */
  caPassphrase?: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface AuthConfig {
  sessionTtlMin: number;
  /** Marks cookies Secure; on when the public URL is https. */
  secureCookies: boolean;
  /** Failed logins in a row before a temporary lockout. */
  maxFailedLogins: number;
  lockoutMin: number;
  /** Login attempts per client address per minute; 0 turns the limit off (bench only). */
  loginRatePerMin: number;
}

export interface AgentsConfig {
  /** An agent silent this long is drained (no new desktops). */
  heartbeatTimeoutS: number;
  /** Silent this long: the agent is lost and its desktops with it. */
  lostAfterS: number;
  /** A VM an agent runs that no desktop names is destroyed once older than this. */
  orphanGraceS: number;
  requestTimeoutMs: number;
  /** Forks and personalizations: a busy agent queues them (users' first) before it runs them. */
  prepareTimeoutMs: number;
  /** Template builds boot a whole VM. */
  templateTimeoutMs: number;
}

export interface SchedulerConfig {
  enabled: boolean;
  /** Pool reconciler period. */
  tickMs: number;
  /** Local hour (0-23) of the nightly refresh. */
  nightlyHour: number;
  /** A `forking` desktop older than this is given up (broker or agent died mid-fork). */
  forkTimeoutS: number;
}

/** Persistent home disks (pools with `persistentHome`). */
export interface HomesConfig {
  /** Directory of the users' disks on the agents' hosts (shared storage between hosts). */
  dir: string;
  /** Size of a new (blank) home disk. */
  diskMib: number;
  /** A disk lease lasts this long unless a heartbeat of its agent renews it. */
  leaseTtlS: number;
  /** A lapsed lease is taken over only this long after it lapsed (clock skew, fencing). */
  leaseGraceS: number;
}

/** Spares held for a user at sign-in (desktops/holds.service.ts). */
export interface HoldsConfig {
  /** A held spare not opened this long is destroyed (it was personalized for its user); 0: no holds. */
  ttlS: number;
}

type Env = Record<string, string | undefined>;

const int = (env: Env, key: string, fallback: number, min: number, max: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${key} must be an integer in ${min}..${max}, got '${raw}'`);
  return n;
};

const port = (env: Env, key: string, fallback: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${key} must be a port number, got '${raw}'`);
  return n;
};

const bool = (env: Env, key: string, fallback: boolean): boolean => {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${key} must be true or false, got '${raw}'`);
};

function absoluteDir(env: Env, key: string, fallback: string): string {
  const raw = env[key] || fallback;
  if (!isAbsolute(raw) || raw.split('/').includes('..'))
    throw new Error(`${key} must be an absolute path without "..", got '${raw}'`);
  return raw.replace(/\/+$/, '');
}

function tunnelKey(env: Env): string | undefined {
  const raw = env.FORKDESK_TUNNEL_KEY;
  if (!raw) return undefined;
  if (Buffer.from(raw, 'base64').length !== 32)
    throw new Error('FORKDESK_TUNNEL_KEY must be 32 bytes, base64');
  return raw;
}

/** Both of FORKDESK_TLS_CERT and FORKDESK_TLS_KEY, or neither. */
function tlsFiles(env: Env): TlsFiles | undefined {
  const certFile = env.FORKDESK_TLS_CERT || undefined;
  const keyFile = env.FORKDESK_TLS_KEY || undefined;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile)
    throw new Error('FORKDESK_TLS_CERT and FORKDESK_TLS_KEY must be set together');
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

export function loadBrokerConfig(env: Env = process.env): BrokerConfig {
  const host = env.FORKDESK_BROKER_HOST ?? '127.0.0.1';
  const p = port(env, 'FORKDESK_BROKER_PORT', 8080);
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl)
    throw new Error('DATABASE_URL is required (npm run up sets it for the private cluster)');
  const tls = tlsFiles(env);
  const publicUrl = env.FORKDESK_PUBLIC_URL ?? `${tls ? 'https' : 'http'}://${host}:${p}`;
  const portal = env.FORKDESK_PORTAL_DIR ?? resolve(__dirname, '../../web-portal/dist');
  return {
    host,
    port: p,
    databaseUrl,
    publicUrl,
    dbPoolSize: int(env, 'FORKDESK_DB_POOL', 10, 1, 200),
    logLevel: env.FORKDESK_LOG_LEVEL ?? 'info',
    portalDir: isAbsolute(portal) ? portal : resolve(portal),
    auth: {
      sessionTtlMin: int(env, 'FORKDESK_SESSION_TTL_MIN', 12 * 60, 1, 30 * 24 * 60),
      secureCookies: bool(
        env,
        'FORKDESK_SECURE_COOKIES',
        tls !== undefined || publicUrl.startsWith('https:'),
      ),
      maxFailedLogins: int(env, 'FORKDESK_LOGIN_MAX_FAILURES', 5, 1, 1000),
      lockoutMin: int(env, 'FORKDESK_LOGIN_LOCKOUT_MIN', 15, 1, 24 * 60),
      loginRatePerMin: int(env, 'FORKDESK_LOGIN_RATE_PER_MIN', 30, 0, 1_000_000),
    },
    agents: {
      heartbeatTimeoutS: int(env, 'FORKDESK_AGENT_TIMEOUT_S', 30, 1, 86400),
      lostAfterS: int(env, 'FORKDESK_AGENT_LOST_S', 300, 1, 7 * 86400),
      orphanGraceS: int(env, 'FORKDESK_ORPHAN_GRACE_S', 60, 0, 86400),
      requestTimeoutMs: int(env, 'FORKDESK_AGENT_REQUEST_MS', 30_000, 100, 600_000),
      prepareTimeoutMs: int(env, 'FORKDESK_AGENT_PREPARE_MS', 120_000, 100, 3_600_000),
      templateTimeoutMs: int(env, 'FORKDESK_TEMPLATE_BUILD_MS', 15 * 60_000, 1000, 3_600_000),
    },
    scheduler: {
      enabled: bool(env, 'FORKDESK_SCHEDULER', true),
      tickMs: int(env, 'FORKDESK_SCHEDULER_TICK_MS', 5000, 100, 3_600_000),
      nightlyHour: int(env, 'FORKDESK_NIGHTLY_HOUR', 3, 0, 23),
      forkTimeoutS: int(env, 'FORKDESK_FORK_TIMEOUT_S', 300, 1, 86400),
    },
    homes: {
      dir: absoluteDir(env, 'FORKDESK_HOMES_DIR', '/var/lib/forkdesk/homes'),
      diskMib: int(env, 'FORKDESK_HOME_DISK_MIB', 2048, 16, 1_048_576),
      leaseTtlS: int(env, 'FORKDESK_LEASE_TTL_S', 60, 2, 3600),
      leaseGraceS: int(env, 'FORKDESK_LEASE_GRACE_S', 10, 0, 3600),
    },
    holds: { ttlS: int(env, 'FORKDESK_HOLD_S', 300, 0, 86400) },
    openWaitMs: int(env, 'FORKDESK_OPEN_WAIT_MS', 2000, 0, 60_000),
    tunnelKey: tunnelKey(env),
    ticketTtlS: int(env, 'FORKDESK_TICKET_TTL_S', 30, 5, 60),
    caPassphrase: env.FORKDESK_CA_PASSPHRASE || undefined,
    ...(tls ? { tls } : {}),
  };
}

export const BROKER_CONFIG = Symbol('BrokerConfig');
