// Shared set-up of the engine's integration tests and the bench: a private data dir and shm dir
// under paths the unprivileged QEMU user can reach, TCG, and the tiny image imported.
import { chmodSync, mkdirSync, rmSync } from 'fs';
import { EngineConfig, loadConfig } from '../config';
import { buildTinyImage } from '../templates/tiny-image';
import { killVmsUnder } from '../vm/process';
import { ForkEngine } from '../fork/fork-engine';

export interface IntEnv {
  cfg: EngineConfig;
  imageVersion: string;
  engine: ForkEngine;
  /** The tiny image's template at 1 vCPU and 256 MiB (built, or reused): its id. */
  tinyTemplate: () => Promise<string>;
  cleanup: () => Promise<void>;
}

const TINY_SHAPE = { vcpus: 1, memoryMiB: 256 };

export function intConfig(name: string, overrides: NodeJS.ProcessEnv = {}): EngineConfig {
  const dataDir = `/var/tmp/forkdesk-${name}-${process.pid}`;
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o755);
  return loadConfig({
    FORKDESK_DATA_DIR: dataDir,
    FORKDESK_SHM_DIR: `/dev/shm/forkdesk-${name}-${process.pid}`,
    FORKDESK_ACCEL: 'tcg',
    FORKDESK_RESERVE_MIB: '2048',
    ...(process.env.FORKDESK_LOG_LEVEL ? {} : { FORKDESK_LOG_LEVEL: 'warn' }),
    ...overrides,
  });
}

export async function openIntEnv(name: string, overrides: NodeJS.ProcessEnv = {}): Promise<IntEnv> {
  const cfg = intConfig(name, overrides);
  const engine = await ForkEngine.open(cfg);
  const tiny = await buildTinyImage();
  engine.importImage(tiny.version, tiny.source);
  return {
    cfg,
    imageVersion: tiny.version,
    engine,
    tinyTemplate: async () =>
      (await engine.ensureTemplate({ imageVersion: tiny.version, shape: TINY_SHAPE })).id,
    cleanup: async () => {
      try {
        await engine.destroyAll();
      } finally {
        // A VM the engine lost track of (a build cut short by a timeout, a failed test).
        for (const dir of [cfg.dataDir, cfg.shmDir]) await killVmsUnder(dir);
        rmSync(cfg.dataDir, { recursive: true, force: true });
        rmSync(cfg.shmDir, { recursive: true, force: true });
      }
    },
  };
}
