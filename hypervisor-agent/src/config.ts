// The agent's configuration: one typed place, read from the environment with defaults.
// The engine's settings (EngineConfig) and the network side's (ApiConfig: API, enrollment,
// display gateway) share FORKDESK_DATA_DIR.
import { Accelerator } from '@forkdesk/agent-contract';
import { cpus, homedir, hostname } from 'node:os';
import { join } from 'node:path';

export type AccelChoice = Accelerator | 'auto';

export interface EngineConfig {
  /** Templates, children, images, probe cache. Must be reachable by `runAsUser`. */
  dataDir: string;
  /** tmpfs (or hugetlbfs) directory for RAM files shared by template and children. */
  shmDir: string;
  /** Refuse a fork when host MemAvailable would drop under this. */
  reserveMiB: number;
  accel: AccelChoice;
  /** TCG translation cache size (MiB): small keeps each child's private memory low. */
  tcgTbSizeMiB: number;
  warmPoolMax: number;
  /** Forks and personalizations run at once; more wait their turn, users' first (cores). */
  guestWorkLimit: number;
  /** How often VMs whose QEMU died are looked for (removed when found dead twice). */
  reapIntervalMs: number;
  /** Expected private memory of a new child, for the reserve check. */
  forkEstimateMiB: number;
  qemuBinary: string;
  qemuImgBinary: string;
  /** Unprivileged user QEMU drops to (`-run-with user=`); empty: do not drop. */
  runAsUser: string;
  /** `-sandbox on`. */
  sandbox: boolean;
  /** memory.max of each child's cgroup, as a multiple of its guest RAM (plus overhead). */
  cgroupOverheadMiB: number;
  cpuModel: string;
  /** Hot-plug-capable PCIe root ports per VM (per-user disks go there). */
  hotplugPorts: number;
  /** Time limit for the tiny VM to boot under KVM in the `auto` probe. */
  kvmProbeMs: number;
  /** Time limit for a template's guest to become ready. */
  bootTimeoutMs: number;
  /** Machine-wide cache of frozen templates by key, shared by every data dir; '' turns it off. */
  templateCacheDir: string;
  logLevel: string;
  /** NAT desktops: the subnet their /30 transit links to the host are taken from. */
  natSubnet: string;
  /** NAT desktops: the resolver their DNS (slirp's 10.0.2.3) is forwarded to; none if unset. */
  natDns?: string;
  /** Lease the DHCP server in a NAT desktop's namespace gives (s); slirp's is 24 h too. */
  natDhcpLeaseS: number;
}

function int(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function accelChoice(raw: string | undefined): AccelChoice {
  const v = (raw ?? 'auto').toLowerCase();
  if (v === 'kvm' || v === 'tcg' || v === 'auto') return v;
  throw new Error(`FORKDESK_ACCEL must be kvm, tcg or auto, got "${raw}"`);
}

/** Beside the image cache (infra/src/images/cache.ts): `${XDG_CACHE_HOME:-~/.cache}/forkdesk`. */
export function defaultTemplateCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'forkdesk', 'templates');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  return {
    dataDir: env.FORKDESK_DATA_DIR || '/var/lib/forkdesk',
    shmDir: env.FORKDESK_SHM_DIR || '/dev/shm/forkdesk',
    reserveMiB: int(env, 'FORKDESK_RESERVE_MIB', 2048),
    accel: accelChoice(env.FORKDESK_ACCEL),
    tcgTbSizeMiB: int(env, 'FORKDESK_TCG_TB_SIZE_MIB', 32),
    warmPoolMax: int(env, 'FORKDESK_WARM_POOL_MAX', 4),
    guestWorkLimit: Math.max(1, int(env, 'FORKDESK_GUEST_WORK_LIMIT', cpus().length)),
    reapIntervalMs: int(env, 'FORKDESK_REAP_MS', 10_000),
    forkEstimateMiB: int(env, 'FORKDESK_FORK_ESTIMATE_MIB', 64),
    qemuBinary: env.FORKDESK_QEMU || 'qemu-system-x86_64',
    qemuImgBinary: env.FORKDESK_QEMU_IMG || 'qemu-img',
    runAsUser: env.FORKDESK_RUN_AS ?? 'forkdesk',
    sandbox: (env.FORKDESK_SANDBOX ?? 'on') !== 'off',
    cgroupOverheadMiB: int(env, 'FORKDESK_CGROUP_OVERHEAD_MIB', 256),
    cpuModel: env.FORKDESK_CPU_MODEL || 'qemu64',
    hotplugPorts: int(env, 'FORKDESK_HOTPLUG_PORTS', 2),
    kvmProbeMs: int(env, 'FORKDESK_KVM_PROBE_MS', 15_000),
    bootTimeoutMs: int(env, 'FORKDESK_BOOT_TIMEOUT_MS', 60_000),
    templateCacheDir: env.FORKDESK_TEMPLATE_CACHE_DIR ?? defaultTemplateCacheDir(env),
    logLevel: env.FORKDESK_LOG_LEVEL || 'info',
    natSubnet: env.FORKDESK_NAT_SUBNET || '100.127.0.0/16',
    natDns: env.FORKDESK_NAT_DNS || undefined,
    natDhcpLeaseS: int(env, 'FORKDESK_NAT_DHCP_LEASE_S', 86_400),
  };
}

export interface ApiConfig {
  /** Address the HTTP API binds; loopback unless an operator opens it on purpose. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Where credentials and the API endpoint file live. */
  dataDir: string;
  /** Standalone bearer token (dev/tests); overrides the stored one. */
  agentToken?: string;
  brokerUrl?: string;
  /** One-time token from the broker; used only when no credentials are stored yet. */
  enrollmentToken?: string;
  /** URL the broker should use to reach this agent (defaults to the bound address). */
  advertiseUrl?: string;
  heartbeatMs: number;
  /** The display gateway (guacd's protocol): where guacamole-lite in the broker connects. */
  gatewayHost: string;
  gatewayPort: number;
  /** After a keystroke or pointer event, keep QEMU's VNC refresh fast this long (ms; 0: off). */
  gatewayInputBoostMs: number;
  /**
   * At enrollment, ask the broker for a certificate and serve the API over mutual TLS
   * (FORKDESK_AGENT_TLS, default on). Once enrolled, the files in tlsDir() decide.
   */
  tls: boolean;
}

export const DEFAULT_API_PORT = 7450;
/** guacd's own port, so a stock guacamole-lite setup finds the gateway. */
export const DEFAULT_GATEWAY_PORT = 4822;
export const DEFAULT_DATA_DIR = '/var/lib/forkdesk';

export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'agent-credentials.json');
}

/** The API's TLS key (0600), certificate and the broker's CA, written at enrollment. */
export function tlsDir(dataDir: string): string {
  return join(dataDir, 'tls');
}

/** What a running agent writes to endpointPath() so local tools find it without flags. */
export interface AgentEndpoint {
  url: string;
  pid: number;
}

/** Written at start so the CLI finds a running agent without flags. */
export function endpointPath(dataDir: string): string {
  return join(dataDir, 'agent-endpoint.json');
}

/** Reads the API settings; throws one clear message per bad variable. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const nonEmpty = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = nonEmpty(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
    }
    return n;
  };
  const url = (name: string): string | undefined => {
    const raw = nonEmpty(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
    }
    return raw.replace(/\/+$/, '');
  };

  const bool = (name: string, def: boolean): boolean => {
    const raw = nonEmpty(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new Error(`${name} must be on or off, got "${raw}"`);
  };

  const agentToken = nonEmpty('FORKDESK_AGENT_TOKEN');
  if (agentToken !== undefined && agentToken.length < 16) {
    throw new Error('FORKDESK_AGENT_TOKEN must be at least 16 characters');
  }
  return {
    host: nonEmpty('FORKDESK_API_HOST') ?? '127.0.0.1',
    port: int('FORKDESK_API_PORT', DEFAULT_API_PORT, 0, 65535),
    dataDir: nonEmpty('FORKDESK_DATA_DIR') ?? DEFAULT_DATA_DIR,
    agentToken,
    brokerUrl: url('FORKDESK_BROKER_URL'),
    enrollmentToken: nonEmpty('FORKDESK_ENROLLMENT_TOKEN'),
    advertiseUrl: url('FORKDESK_ADVERTISE_URL'),
    heartbeatMs: int('FORKDESK_HEARTBEAT_MS', 10_000, 1_000, 3_600_000),
    gatewayHost: nonEmpty('FORKDESK_GATEWAY_HOST') ?? '127.0.0.1',
    gatewayPort: int('FORKDESK_GATEWAY_PORT', DEFAULT_GATEWAY_PORT, 0, 65535),
    gatewayInputBoostMs: int('FORKDESK_GATEWAY_INPUT_BOOST_MS', 250, 0, 5000),
    tls: bool('FORKDESK_AGENT_TLS', true),
  };
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

export function httpUrl(host: string, port: number, secure = false): string {
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The URL the broker should call this agent on (sent at enrollment); https with TLS. */
export function advertisedApiUrl(config: ApiConfig, secure = false): string {
  if (config.advertiseUrl) return config.advertiseUrl.replace(/^https?:/, secure ? 'https:' : '$&');
  if (config.port === 0)
    throw new Error('FORKDESK_API_PORT=0 needs FORKDESK_ADVERTISE_URL to enroll');
  return httpUrl(isWildcard(config.host) ? hostname() : config.host, config.port, secure);
}
