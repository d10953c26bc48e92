import { parseCliArgs, UsageError } from './args';

describe('parseCliArgs', () => {
  it('parses fork with --count, -n and the default count', () => {
    expect(parseCliArgs(['fork', 'tpl-a', '--count', '5']).command).toEqual({
      name: 'fork',
      target: 'tpl-a',
      count: 5,
    });
    expect(parseCliArgs(['fork', '-n', '3', 'vm-1']).command).toEqual({
      name: 'fork',
      target: 'vm-1',
      count: 3,
    });
    expect(parseCliArgs(['fork', 'tpl-a']).command).toEqual({
      name: 'fork',
      target: 'tpl-a',
      count: 1,
    });
  });

  it('parses list, templates, capacity and destroy with several ids', () => {
    expect(parseCliArgs(['list']).command).toEqual({ name: 'list' });
    expect(parseCliArgs(['templates']).command).toEqual({ name: 'templates' });
    expect(parseCliArgs(['capacity']).command).toEqual({ name: 'capacity' });
    expect(parseCliArgs(['build-template', 'tiny']).command).toEqual({
      name: 'build-template',
      imageVersion: 'tiny',
    });
    expect(
      parseCliArgs(['build-template', 'tiny', '--vcpus', '2', '--memory-mib', '512']).command,
    ).toEqual({ name: 'build-template', imageVersion: 'tiny', vcpus: 2, memoryMiB: 512 });
    expect(parseCliArgs(['destroy', 'a', 'b']).command).toEqual({
      name: 'destroy',
      ids: ['a', 'b'],
    });
  });

  it('parses global options anywhere on the line', () => {
    const p = parseCliArgs([
      '--url',
      'http://127.0.0.1:9',
      'list',
      '--token',
      't',
      '--json',
      '--data-dir',
      '/d',
      '--timeout',
      '30',
    ]);
    expect(p.options).toEqual({
      url: 'http://127.0.0.1:9',
      token: 't',
      dataDir: '/d',
      json: true,
      timeoutS: 30,
    });
    expect(parseCliArgs(['list']).options).toEqual({ json: false, timeoutS: 600 });
  });

  it('returns help for -h, --help and help', () => {
    for (const argv of [['-h'], ['--help'], ['help'], ['fork', '--help']]) {
      expect(parseCliArgs(argv).command).toEqual({ name: 'help' });
    }
  });

  it.each([
    [[], 'missing command'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['fork'], 'fork: missing argument'],
    [['fork', 'a', 'b'], 'fork: unexpected argument "b"'],
    [['fork', 'a', '--count', '0'], '--count must be an integer in 1..64, got "0"'],
    [['fork', 'a', '--count', '65'], '--count must be an integer in 1..64, got "65"'],
    [['fork', 'a', '--count', '2.5'], '--count must be an integer in 1..64, got "2.5"'],
    [['fork', 'a', '--count', 'x'], '--count must be an integer in 1..64, got "x"'],
    [['list', 'extra'], 'list: unexpected argument "extra"'],
    [['list', '--count', '2'], '--count only applies to fork'],
    [['destroy'], 'destroy: missing argument'],
    [['build-template'], 'build-template: missing argument'],
    [
      ['build-template', 't', '--vcpus', '2'],
      'build-template: give both --vcpus and --memory-mib, or neither',
    ],
    [
      ['build-template', 't', '--vcpus', '2', '--memory-mib', '64'],
      '--memory-mib must be an integer in 128..1048576, got "64"',
    ],
    [['list', '--vcpus', '2'], '--vcpus and --memory-mib only apply to build-template'],
    [['list', '--timeout=-1'], '--timeout must be an integer in 1..86400, got "-1"'],
    [['list', '--timeout', '-1'], "Option '--timeout' argument is ambiguous."],
  ])('rejects %j: %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(new UsageError(message));
  });

  it('rejects unknown flags and flags missing their value', () => {
    expect(() => parseCliArgs(['list', '--bogus'])).toThrow(UsageError);
    expect(() => parseCliArgs(['list', '--url'])).toThrow(UsageError);
  });
});
