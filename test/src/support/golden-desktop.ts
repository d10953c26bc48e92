// Drives the golden desktop image through the real fork engine for the integration test and
// the image bench: build (or reuse) the image, freeze a template with its desktop session
// running, fork children and make each a user's desktop with the fork hook. TCG, real QEMU.
import { chmodSync, mkdtempSync, rmSync } from 'fs';
import { join } from 'path';
import {
  connectQmp,
  defaultTemplateCacheDir,
  ForkEngine,
  ForkHookResult,
  ForkIdentity,
  loadConfig,
} from '@forkdesk/hypervisor-agent';
import { buildGoldenImage, type GoldenManifest } from '@forkdesk/infra';
import {
  classifyScreen,
  type Image,
  labelRect,
  type QmpLike,
  regionBytes,
  screendump,
  waitForScreen,
} from '@forkdesk/infra/testing';

export interface GoldenLab {
  engine: ForkEngine;
  image: GoldenManifest;
  imageVersion: string;
  dataDir: string;
  close(): Promise<void>;
}

/** The golden image (from the cache when built before) in a fresh engine on TCG. */
export async function openGoldenLab(
  prefix: string,
  opts: { templateCache?: boolean } = {},
): Promise<GoldenLab> {
  const image = await buildGoldenImage();
  // QEMU runs as the forkdesk user: its files live where that user can reach them.
  const dataDir = mkdtempSync(`/var/lib/forkdesk/${prefix}-`);
  const shmDir = mkdtempSync(`/dev/shm/forkdesk-${prefix}-`);
  chmodSync(dataDir, 0o755);
  chmodSync(shmDir, 0o755);
  const engine = await ForkEngine.open(
    loadConfig({
      FORKDESK_DATA_DIR: dataDir,
      FORKDESK_SHM_DIR: shmDir,
      FORKDESK_ACCEL: 'tcg',
      FORKDESK_RESERVE_MIB: '512',
      FORKDESK_WARM_POOL_MAX: '0',
      FORKDESK_BOOT_TIMEOUT_MS: '240000',
      FORKDESK_LOG_LEVEL: 'warn',
      // Machine-wide: the golden template boots once per machine ('' makes every lab boot it).
      FORKDESK_TEMPLATE_CACHE_DIR:
        opts.templateCache === false
          ? ''
          : (process.env.FORKDESK_TEMPLATE_CACHE_DIR ?? defaultTemplateCacheDir()),
    }),
  );
  const imageVersion = `golden-${image.hash}`;
  engine.importImage(imageVersion, {
    kernel: image.kernel,
    initrd: image.initrd,
    disk: image.disk,
    append: image.append,
    readyCheck: image.readyCheck,
    hash: image.hash,
    ...(image.forkHook ? { forkHook: image.forkHook } : {}),
    ...(image.resizeHook ? { resizeHook: image.resizeHook } : {}),
  });
  return {
    engine,
    image,
    imageVersion,
    dataDir,
    async close() {
      await engine.destroyAll();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(shmDir, { recursive: true, force: true });
    },
  };
}

/** Boots the image until the guest reports ready (session drawn, idle) and freezes it. */
export async function freezeGoldenTemplate(
  lab: GoldenLab,
  memoryMiB = 1024,
): Promise<{ templateId: string; bootToReadyMs: number; freezeMs: number; fromCache: boolean }> {
  const t0 = Date.now();
  const t = await lab.engine.ensureTemplate({
    imageVersion: lab.imageVersion,
    shape: { vcpus: 1, memoryMiB },
  });
  const rec = lab.engine.templateRecord(t.id);
  const freezeMs = rec?.freezeMs ?? 0;
  // fromCache: restored from the machine's template cache, so bootToReadyMs is no boot.
  return {
    templateId: t.id,
    bootToReadyMs: Date.now() - t0 - freezeMs,
    freezeMs,
    fromCache: rec?.restoredFromCache === true,
  };
}

export interface Desktop {
  id: string;
  hook: ForkHookResult;
  /** Fork request → the child's screen shows the frozen desktop (panel with the template's label). */
  forkToDrawnMs: number;
  /** Fork request → the panel's label shows this user (fork hook included). */
  forkToSessionMs: number;
  screen: Image;
  screenFile: string;
}

/**
 * Forks one child and makes it `who`'s desktop: the user's disk is hot-plugged and mounted
 * (engine), then the fork hook gives the child its identity and starts the session.
 */
export async function forkDesktop(
  lab: GoldenLab,
  templateId: string,
  who: ForkIdentity,
  persistentDisk?: string,
): Promise<Desktop> {
  const t0 = Date.now();
  const [rec] = await lab.engine.forkWith(templateId, 1, { useWarm: false });
  if (!rec) throw new Error('fork returned no child');
  const screenFile = join(rec.dir, 'screen.ppm');
  // QEMU's QMP socket takes one client at a time: hold it only while watching the screen.
  const watch = async <T>(f: (qmp: QmpLike) => Promise<T>): Promise<T> => {
    const qmp = await connectQmp(rec.spec.qmpSocket, { retryMs: 2000 });
    try {
      return await f(qmp);
    } finally {
      qmp.close();
    }
  };
  const frozen = await watch(
    async (qmp) => (await waitForScreen(qmp, screenFile, 'desktop', 10_000, 5)).img,
  );
  const forkToDrawnMs = Date.now() - t0;
  const frozenLabel = regionBytes(frozen, labelRect(frozen));
  // The engine plugs in the clipboard channel and the user's disk, then runs the image's hook.
  const hook = await lab.engine.personalize(rec.id, {
    userName: who.user,
    hostname: who.hostname,
    ...(who.fullName ? { fullName: who.fullName } : {}),
    ...(persistentDisk ? { persistentDisk } : {}),
  });
  if (!hook) throw new Error('the golden image has no fork hook');
  // The user's desktop: still a drawn desktop, its label no longer the template's.
  const screen = await watch(async (qmp) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const img = await screendump(qmp, screenFile);
      if (
        classifyScreen(img) === 'desktop' &&
        !regionBytes(img, labelRect(img)).equals(frozenLabel)
      )
        return img;
      if (Date.now() > deadline)
        throw new Error(`the panel still shows the template's label 30 s after the fork hook`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  return { id: rec.id, hook, forkToDrawnMs, forkToSessionMs: Date.now() - t0, screen, screenFile };
}

/** What the guest itself says about its session: host name, session owner, display name. */
export async function sessionFacts(
  lab: GoldenLab,
  id: string,
): Promise<{ hostname: string; sessionUser: string; fullName: string; label: string }> {
  const ga = await lab.engine.guest(id);
  const out = await ga.run([
    'sh',
    '-c',
    'hostname; ps -o user= -C openbox | head -1; getent passwd 1000 | cut -d: -f5; ' +
      'runuser -u "$(id -nu 1000)" -- /usr/local/bin/forkdesk-whoami',
  ]);
  const [hostname = '', sessionUser = '', fullName = '', label = ''] = out
    .split('\n')
    .map((s) => s.trim());
  return { hostname, sessionUser, fullName, label };
}

/** The current screen of a child. */
export async function screenOf(lab: GoldenLab, id: string): Promise<Image> {
  const rec = lab.engine.vmRecord(id);
  if (!rec) throw new Error(`no VM ${id}`);
  const qmp = await connectQmp(rec.spec.qmpSocket, { retryMs: 2000 });
  try {
    return await screendump(qmp, join(rec.dir, 'screen.ppm'));
  } finally {
    qmp.close();
  }
}

export { classifyScreen };
