// The agent's configuration: one typed place, read from the environment with defaults.
import { Accelerator } from '@forkdesk/agent-contract';

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
  logLevel: string;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  return {
    dataDir: env.FORKDESK_DATA_DIR || '/var/lib/forkdesk',
    shmDir: env.FORKDESK_SHM_DIR || '/dev/shm/forkdesk',
    reserveMiB: int(env, 'FORKDESK_RESERVE_MIB', 2048),
    accel: accelChoice(env.FORKDESK_ACCEL),
    tcgTbSizeMiB: int(env, 'FORKDESK_TCG_TB_SIZE_MIB', 32),
    warmPoolMax: int(env, 'FORKDESK_WARM_POOL_MAX', 4),
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
    logLevel: env.FORKDESK_LOG_LEVEL || 'info',
  };
}
