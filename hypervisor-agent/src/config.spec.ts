import { loadConfig } from './config';

describe('loadConfig', () => {
  it('has defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      dataDir: '/var/lib/forkdesk',
      shmDir: '/dev/shm/forkdesk',
      accel: 'auto',
      runAsUser: 'forkdesk',
      sandbox: true,
    });
  });
  it('reads the environment and rejects nonsense', () => {
    expect(loadConfig({ FORKDESK_ACCEL: 'TCG', FORKDESK_RESERVE_MIB: '512' })).toMatchObject({
      accel: 'tcg',
      reserveMiB: 512,
    });
    expect(() => loadConfig({ FORKDESK_ACCEL: 'xen' })).toThrow(/FORKDESK_ACCEL/);
    expect(() => loadConfig({ FORKDESK_RESERVE_MIB: '-1' })).toThrow(/FORKDESK_RESERVE_MIB/);
  });
});
