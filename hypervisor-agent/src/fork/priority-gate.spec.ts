import { Priority, PriorityGate } from './priority-gate';

/** A job that finishes when `release()` is called, recording when it started. */
function held(log: string[], name: string): { job: () => Promise<string>; release: () => void } {
  let release = (): void => undefined;
  const done = new Promise<void>((r) => (release = r));
  return {
    job: async () => {
      log.push(name);
      await done;
      return name;
    },
    release: () => release(),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PriorityGate', () => {
  it('runs at most `limit` jobs at once, then personalizations before forks, each in order', async () => {
    const gate = new PriorityGate(2);
    const log: string[] = [];
    const jobs = {
      f1: held(log, 'f1'),
      f2: held(log, 'f2'),
      f3: held(log, 'f3'),
      p1: held(log, 'p1'),
      p2: held(log, 'p2'),
    };
    const runs = [
      gate.run(Priority.Fork, jobs.f1.job),
      gate.run(Priority.Fork, jobs.f2.job),
      gate.run(Priority.Fork, jobs.f3.job),
      gate.run(Priority.Personalize, jobs.p1.job),
      gate.run(Priority.Personalize, jobs.p2.job),
    ];
    await tick();
    expect(log).toEqual(['f1', 'f2']);
    expect(gate.load).toEqual({ running: 2, waiting: 3 });
    jobs.f1.release();
    await tick();
    expect(log).toEqual(['f1', 'f2', 'p1']);
    jobs.f2.release();
    jobs.p1.release();
    await tick();
    await tick();
    expect(log).toEqual(['f1', 'f2', 'p1', 'p2', 'f3']);
    jobs.p2.release();
    jobs.f3.release();
    expect(await Promise.all(runs)).toEqual(['f1', 'f2', 'f3', 'p1', 'p2']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('forks spares after the forks someone waits for', async () => {
    const gate = new PriorityGate(1);
    const log: string[] = [];
    const first = held(log, 'first');
    const spare = held(log, 'spare');
    const wanted = held(log, 'wanted');
    const runs = [
      gate.run(Priority.Fork, first.job),
      gate.run(Priority.Spare, spare.job),
      gate.run(Priority.Fork, wanted.job),
    ];
    await tick();
    first.release();
    await tick();
    expect(log).toEqual(['first', 'wanted']);
    wanted.release();
    await tick();
    expect(log).toEqual(['first', 'wanted', 'spare']);
    spare.release();
    await Promise.all(runs);
  });

  it('passes the turn on when a job fails, and reports the failure to its caller', async () => {
    const gate = new PriorityGate(1);
    const failing = gate.run(Priority.Fork, () => Promise.reject(new Error('no child')));
    const next = gate.run(Priority.Fork, () => Promise.resolve('ok'));
    await expect(failing).rejects.toThrow('no child');
    await expect(next).resolves.toBe('ok');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a limit below one', () => {
    expect(() => new PriorityGate(0)).toThrow(RangeError);
  });
});
