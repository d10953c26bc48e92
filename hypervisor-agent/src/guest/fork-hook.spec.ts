import { forkHookCommand, GuestExec, parseForkHookOutput, runForkHook } from './fork-hook';

const HOOK = '/usr/local/sbin/forkdesk-fork-hook';

describe('fork hook command', () => {
  it('passes the identity as arguments, with host entropy', () => {
    const cmd = forkHookCommand(HOOK, {
      hostname: 'desk-alice',
      user: 'alice',
      fullName: 'Alice Martin',
      diskSerial: 'fd-user-0',
      epochS: 1700000000.12345,
      entropyHex: 'ab12',
    });
    expect(cmd).toEqual([
      '/usr/local/sbin/forkdesk-fork-hook',
      '--hostname',
      'desk-alice',
      '--user',
      'alice',
      '--full-name',
      'Alice Martin',
      '--disk-serial',
      'fd-user-0',
      '--epoch',
      '1700000000.123',
      '--entropy',
      'ab12',
    ]);
    expect(forkHookCommand(HOOK, { hostname: 'h', user: 'u' }).at(-1)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects what the guest would reject', () => {
    expect(() => forkHookCommand(HOOK, { hostname: '-bad', user: 'u' })).toThrow(
      /invalid hostname/,
    );
    expect(() => forkHookCommand(HOOK, { hostname: 'h', user: 'Root' })).toThrow(
      /invalid user name/,
    );
    expect(() => forkHookCommand(HOOK, { hostname: 'h', user: 'u', fullName: 'a:b' })).toThrow(
      /full name/,
    );
    expect(() => forkHookCommand(HOOK, { hostname: 'h', user: 'u', diskSerial: 'a b' })).toThrow(
      /disk serial/,
    );
  });

  it('parses the JSON line and reports the guest error text', async () => {
    expect(
      parseForkHookOutput(
        '{"hostname":"h","user":"u","home":"/home/u","disk":"","vmgenid":"present","ms":120}\n',
      ).ms,
    ).toBe(120);
    expect(() => parseForkHookOutput('oops')).toThrow(/printed no result: "oops"/);
    const fakeGuest: GuestExec = {
      exec: () =>
        Promise.resolve({
          exitCode: 1,
          stdout: '',
          stderr: 'forkdesk-fork-hook: already ran in this VM\n',
        }),
    };
    await expect(runForkHook(fakeGuest, HOOK, { hostname: 'h', user: 'u' })).rejects.toThrow(
      'fork hook failed (exit 1): forkdesk-fork-hook: already ran in this VM',
    );
  });
});
