// Command-line parsing for forkdesk-agent: pure, no I/O.

import { parseArgs } from 'node:util';
import { MAX_FORK_COUNT } from '@forkdesk/agent-contract';

export interface GlobalOptions {
  url?: string;
  token?: string;
  dataDir?: string;
  json: boolean;
  timeoutS: number;
}

export type Command =
  | { name: 'fork'; target: string; count: number }
  | { name: 'list' }
  | { name: 'destroy'; ids: string[] }
  | { name: 'templates' }
  | { name: 'build-template'; imageVersion: string; vcpus?: number; memoryMiB?: number }
  | { name: 'capacity' }
  | { name: 'help' };

export interface ParsedArgs {
  command: Command;
  options: GlobalOptions;
}

export class UsageError extends Error {}

export const USAGE = `usage: forkdesk-agent <command> [options]

commands:
  fork <template|vm> [--count N]   fork N children of a template, or of a running VM
  list                             children on the agent
  destroy <id> [<id>...]           destroy children
  templates                        templates on the agent
  build-template <image-version> [--vcpus N] [--memory-mib M]
                                   build (or find) the template of an image version
  capacity                         host memory and counts

options:
  --url URL          agent API (env FORKDESK_AGENT_URL; default: <data-dir>/agent-endpoint.json)
  --token TOKEN      bearer token (env FORKDESK_AGENT_TOKEN; default: <data-dir>/agent-credentials.json)
  --data-dir DIR     the agent's data dir (env FORKDESK_DATA_DIR; default /var/lib/forkdesk)
  --json             print the API's JSON instead of a table
  --timeout S        give up after S seconds (default 600)
  -n, --count N      children to fork (1..${MAX_FORK_COUNT}, default 1)
  --vcpus N          template vCPUs (1..64; agent default when absent)
  --memory-mib M     template RAM in MiB (128..1048576; agent default when absent)
  -h, --help         this text
`;

function intIn(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

function positiveInt(name: string, raw: string | undefined, def: number, max: number): number {
  return raw === undefined ? def : intIn(name, raw, 1, max);
}

function arity(cmd: string, args: string[], min: number, max: number): void {
  if (args.length < min) throw new UsageError(`${cmd}: missing argument`);
  if (args.length > max) throw new UsageError(`${cmd}: unexpected argument "${args[max]}"`);
}

/** Parses argv (without node and script). Throws UsageError on anything malformed. */
export function parseCliArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        count: { type: 'string', short: 'n' },
        vcpus: { type: 'string' },
        'memory-mib': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // node's messages can span lines; the CLI prints one.
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  const options: GlobalOptions = {
    url: values.url,
    token: values.token,
    dataDir: values['data-dir'],
    json: values.json === true,
    timeoutS: positiveInt('--timeout', values.timeout, 600, 86_400),
  };
  const [name, ...rest] = positionals;
  if (values.help || name === 'help') return { command: { name: 'help' }, options };
  if (name === undefined) throw new UsageError('missing command');
  if (values.count !== undefined && name !== 'fork') {
    throw new UsageError(`--count only applies to fork`);
  }
  const vcpus = values.vcpus;
  const memory = values['memory-mib'];
  if ((vcpus !== undefined || memory !== undefined) && name !== 'build-template') {
    throw new UsageError(`--vcpus and --memory-mib only apply to build-template`);
  }
  switch (name) {
    case 'fork':
      arity(name, rest, 1, 1);
      return {
        command: {
          name,
          target: rest[0],
          count: positiveInt('--count', values.count, 1, MAX_FORK_COUNT),
        },
        options,
      };
    case 'build-template': {
      arity(name, rest, 1, 1);
      if ((vcpus === undefined) !== (memory === undefined)) {
        throw new UsageError('build-template: give both --vcpus and --memory-mib, or neither');
      }
      return {
        command: {
          name,
          imageVersion: rest[0],
          ...(vcpus !== undefined && memory !== undefined
            ? {
                vcpus: intIn('--vcpus', vcpus, 1, 64),
                memoryMiB: intIn('--memory-mib', memory, 128, 1048576),
              }
            : {}),
        },
        options,
      };
    }
    case 'destroy':
      arity(name, rest, 1, Infinity);
      return { command: { name, ids: rest }, options };
    case 'list':
    case 'templates':
    case 'capacity':
      arity(name, rest, 0, 0);
      return { command: { name }, options };
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}
