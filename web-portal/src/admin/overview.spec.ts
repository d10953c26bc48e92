import type { AgentView, PoolView } from '@forkdesk/broker-contract';
import { addSample, hostRows, poolRows, sampleOf } from './overview';

const pool = (name: string, desktops: PoolView['desktops'] = {}): PoolView => ({
  id: `id-${name}`,
  name,
  imageId: 'i',
  imageVersionId: null,
  effectiveVersionId: null,
  vcpus: 2,
  memoryMib: 2048,
  cpuLimitPercent: null,
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
  it('counts desktops per pool from the broker counts', () => {
    const rows = poolRows([
      pool('dev'),
      pool('ops', { in_use: 3, assigned: 1, ready: 2, forking: 1 }),
    ]);
    expect(rows[0].segments.map((s) => s.value)).toEqual([0, 0, 0]);
    expect(rows[1].segments.map((s) => s.value)).toEqual([4, 2, 1]);
    expect(sampleOf(rows, 5)).toEqual({ at: 5, inUse: 4, spare: 2 });
  });

  it('splits host memory (GiB) into desktops, the rest, and free', () => {
    const agent = {
      name: 'h1',
      totalMib: 24576,
      availableMib: 20000,
      desktops: [{ privateMib: 46 }, { privateMib: 54 }, { privateMib: null }],
    } as AgentView;
    expect(hostRows([agent])[0].segments.map((s) => s.value)).toEqual([0.1, 4.4, 19.5]);
  });

  it('keeps a bounded sample history', () => {
    let list = [{ at: 0, inUse: 0, spare: 0 }];
    list = addSample(list, { at: 1, inUse: 1, spare: 0 }, 2);
    list = addSample(list, { at: 2, inUse: 2, spare: 0 }, 2);
    expect(list.map((s) => s.at)).toEqual([1, 2]);
  });
});
