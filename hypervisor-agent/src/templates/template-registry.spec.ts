import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '../config';
import { ConflictError, NotFoundError } from '../engine/errors';
import type { TemplateRecord } from './template';
import { TemplateRegistry } from './template-registry';

let root: string;
let children: Map<string, number>;
let removed: string[];
let registry: TemplateRegistry;

/** A ready template on disk: its record and its four frozen files. */
function frozen(id: string, extra: Partial<TemplateRecord> = {}): TemplateRecord {
  const dir = join(root, 'templates', id);
  mkdirSync(dir, { recursive: true });
  const file = (name: string): string => {
    writeFileSync(join(dir, name), 'x');
    return join(dir, name);
  };
  const rec = {
    id,
    key: id,
    imageVersion: 'tiny@1',
    shape: { vcpus: 1, memoryMiB: 256 },
    accel: 'tcg',
    deviceProfile: 'p',
    qemuBuild: 'q',
    ramFile: file('ram'),
    stateFile: file('state'),
    stateBytes: 1,
    stateSha256: '',
    overlay: file('overlay.qcow2'),
    deltaProto: file('delta.qcow2'),
    spec: {} as TemplateRecord['spec'],
    buildMs: 5,
    freezeMs: 1,
    createdAt: new Date(0).toISOString(),
    ...extra,
  } satisfies TemplateRecord;
  writeFileSync(join(dir, 'template.json'), JSON.stringify(rec));
  return rec;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'forkdesk-registry-'));
  mkdirSync(join(root, 'templates'));
  children = new Map();
  removed = [];
  registry = new TemplateRegistry({
    cfg: loadConfig({ FORKDESK_DATA_DIR: root, FORKDESK_SHM_DIR: join(root, 'shm') }),
    user: undefined,
    qemuBuild: 'q',
    children: (id) => children.get(id) ?? 0,
    onReady: () => undefined,
    onRemove: (id) => {
      removed.push(id);
      return Promise.resolve();
    },
  });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('TemplateRegistry', () => {
  it('loads ready templates and removes unfinished builds and dirs without a record', () => {
    frozen('t-a');
    mkdirSync(join(root, 'templates', 't-b.building'));
    mkdirSync(join(root, 'templates', 't-c'));
    registry.load();
    expect(registry.list().map((t) => [t.id, t.state])).toEqual([['t-a', 'ready']]);
    expect(existsSync(join(root, 'templates', 't-b.building'))).toBe(false);
    expect(existsSync(join(root, 'templates', 't-c'))).toBe(false);
  });

  it('answers 404 for an unknown template and counts children and dependent templates', async () => {
    frozen('t-a');
    frozen('t-r', { fullCopy: true, parentTemplateId: 't-a' });
    registry.load();
    expect(() => registry.ready('t-x')).toThrow(NotFoundError);
    await expect(registry.delete('t-x')).rejects.toThrow(NotFoundError);
    children.set('t-a', 2);
    expect(registry.get('t-a')?.children).toBe(3);
    await expect(registry.delete('t-a')).rejects.toThrow(
      new ConflictError('template t-a still has 3 child(ren) or dependent template(s)'),
    );
    expect(removed).toEqual([]);
  });

  it('deletes a template without children: its pool first, then its files', async () => {
    const rec = frozen('t-a');
    registry.load();
    await registry.delete('t-a');
    expect(removed).toEqual(['t-a']);
    expect(existsSync(rec.ramFile)).toBe(false);
    expect(registry.get('t-a')).toBeUndefined();
  });

  it('drops a template whose frozen files are gone when listed', () => {
    const rec = frozen('t-a');
    registry.load();
    rmSync(rec.stateFile);
    expect(registry.list()).toEqual([]);
    expect(removed).toEqual(['t-a']);
    expect(existsSync(join(root, 'templates', 't-a'))).toBe(false);
  });
});
