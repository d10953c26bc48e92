// The CLI's commands over the agent API. Exit codes: 0 ok, 1 error (one line), 2 usage.

import { AgentApiError, AgentClient } from './client';
import { parseCliArgs, UsageError, USAGE, type Command, type ParsedArgs } from './args';
import { capacityText, childrenTable, formatMs, templatesTable } from './format';
import { resolveTarget } from './target';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`forkdesk-agent: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (parsed.command.name === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  try {
    const target = resolveTarget(parsed.options, io.env);
    const client = new AgentClient(target.url, target.token, parsed.options.timeoutS * 1000);
    await execute(parsed.command, client, parsed.options.json, io);
    return 0;
  } catch (err) {
    io.stderr(`forkdesk-agent: ${errorLine(err)}\n`);
    return 1;
  }
}

function errorLine(err: unknown): string {
  if (err instanceof AgentApiError) {
    const retry = err.retryAfterS ? `, retry after ${err.retryAfterS} s` : '';
    return `${err.message} (HTTP ${err.status}${retry})`;
  }
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function execute(cmd: Command, client: AgentClient, json: boolean, io: CliIo) {
  const print = (value: unknown, text: string) =>
    io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : text);
  const start = performance.now();
  const wall = () => formatMs(performance.now() - start);
  switch (cmd.name) {
    case 'list': {
      const children = await client.listChildren();
      return print(children, childrenTable(children, Date.now()));
    }
    case 'templates': {
      const templates = await client.listTemplates();
      return print(templates, templatesTable(templates));
    }
    case 'build-template': {
      const { imageVersion, vcpus, memoryMiB } = cmd;
      const shape =
        vcpus !== undefined && memoryMiB !== undefined ? { vcpus, memoryMiB } : undefined;
      const t = await client.ensureTemplate({ imageVersion, ...(shape ? { shape } : {}) });
      return print(
        t,
        `template ${t.id} ${t.state} in ${wall()} (built in ${formatMs(t.buildMs)}, ` +
          `device state ${Math.round(t.deviceStateBytes / 1024)} KiB)\n`,
      );
    }
    case 'capacity': {
      const cap = await client.capacity();
      return print(cap, capacityText(cap));
    }
    case 'destroy':
      for (const id of cmd.ids) {
        const t0 = performance.now();
        await client.destroy(id);
        if (!json) io.stdout(`destroyed ${id} in ${formatMs(performance.now() - t0)}\n`);
      }
      if (json) print({ destroyed: cmd.ids }, '');
      return;
    case 'fork':
      return fork(cmd.target, cmd.count, client, print, wall);
    case 'help':
      return io.stdout(USAGE);
  }
}

/** `target` names a template (fork from it) or a running VM (freeze it, then fork). */
async function fork(
  target: string,
  count: number,
  client: AgentClient,
  print: (value: unknown, text: string) => void,
  wall: () => string,
) {
  const plural = (n: number) => `${n} ${n === 1 ? 'child' : 'children'}`;
  if (await client.getTemplate(target)) {
    const res = await client.fork(target, count);
    return print(
      res,
      `forked ${plural(res.children.length)} of template ${target} in ${wall()} ` +
        `(agent ${formatMs(res.totalMs)})\n` +
        childrenTable(res.children, Date.now()),
    );
  }
  if (await client.getChild(target)) {
    const res = await client.forkRunning(target, count);
    return print(
      res,
      `froze VM ${target} as template ${res.template.id} and forked ${plural(count)} in ` +
        `${wall()} (agent ${formatMs(res.totalMs)}); the VM itself is child 0\n` +
        childrenTable(res.children, Date.now()),
    );
  }
  throw new Error(`no template or VM named "${target}" on the agent`);
}
