/** The broker's settings, from the environment, with defaults for a one-machine start. */
export interface BrokerConfig {
  /** Address the HTTP server binds; loopback unless told otherwise. */
  host: string;
  port: number;
  databaseUrl: string;
  /** Public URL of the portal, printed by `npm run up` and used in links. */
  publicUrl: string;
}

type Env = Record<string, string | undefined>;

const int = (env: Env, key: string, fallback: number): number => {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${key} must be a port number, got '${raw}'`);
  return n;
};

export function loadBrokerConfig(env: Env = process.env): BrokerConfig {
  const host = env.FORKDESK_BROKER_HOST ?? '127.0.0.1';
  const port = int(env, 'FORKDESK_BROKER_PORT', 8080);
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl)
    throw new Error('DATABASE_URL is required (npm run up sets it for the private cluster)');
  return {
    host,
    port,
    databaseUrl,
    publicUrl: env.FORKDESK_PUBLIC_URL ?? `http://${host}:${port}`,
  };
}
