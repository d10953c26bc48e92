import type { Agent, LiveSession, Pool } from '../api/types';
import { addSample, hostRows, poolRows, sampleOf } from './overview';

const pool = (name: string, desktops?: Pool['desktops']): Pool => ({
  id: `id-${name}`,
  name,
  imageId: 'i',
  vcpus: 2,
  memoryMib: 2048,
  minSpare: 1,
  maxSize: 10,
  refreshPolicy: 'on_logoff',
  idleTimeoutMin: 30,
  networkMode: 'restricted',
  assignmentMode: 'floating',
  persistentHome: false,
  desktops,
});

describe('overview charts', () => {
  it('counts desktops per pool from broker counts, else from sessions', () => {
    const sessions = [
      { poolId: 'id-dev' },
      { poolId: 'id-dev' },
      { poolId: 'id-ops' },
    ] as LiveSession[];
    const rows = poolRows(
      [pool('dev'), pool('ops', { in_use: 3, assigned: 1, ready: 2, forking: 1 })],
      sessions,
    );
    expect(rows[0].segments.map((s) => s.value)).toEqual([2, 0, 0]);
    expect(rows[1].segments.map((s) => s.value)).toEqual([4, 2, 1]);
    expect(sampleOf(rows, 5)).toEqual({ at: 5, inUse: 6, spare: 2 });
  });

  it('splits host memory (GiB) into desktops, the rest, and free', () => {
    const agent = {
      name: 'h1',
      totalMib: 24576,
      availableMib: 20000,
      desktops: [{ privateMib: 46 }, { privateMib: 54 }, { privateMib: null }],
    } as Agent;
    expect(hostRows([agent])[0].segments.map((s) => s.value)).toEqual([0.1, 4.4, 19.5]);
  });

  it('keeps a bounded sample history', () => {
    let list = [{ at: 0, inUse: 0, spare: 0 }];
    list = addSample(list, { at: 1, inUse: 1, spare: 0 }, 2);
    list = addSample(list, { at: 2, inUse: 2, spare: 0 }, 2);
    expect(list.map((s) => s.at)).toEqual([1, 2]);
  });
});
