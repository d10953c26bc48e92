import { CommandError, run } from './run';

describe('run', () => {
  it('returns stdout', () => {
    expect(run('sh', ['-c', 'echo hello'])).toBe('hello\n');
  });

  it('names the failed command and its last output lines', () => {
    expect.assertions(3);
    try {
      run('sh', ['-c', 'echo one; echo two >&2; exit 3']);
    } catch (e) {
      expect(e).toBeInstanceOf(CommandError);
      expect((e as CommandError).status).toBe(3);
      expect((e as Error).message).toBe(
        'sh -c echo one; echo two >&2; exit 3 failed (exit 3): one | two',
      );
    }
  });

  it('reports a missing program clearly', () => {
    expect(() => run('no-such-program-forkdesk', [])).toThrow(
      /no-such-program-forkdesk failed .*ENOENT/,
    );
  });
});
