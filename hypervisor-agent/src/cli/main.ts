#!/usr/bin/env node
// forkdesk-agent: the engineers' CLI over a running agent's HTTP API.

import { runCli } from './run';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`forkdesk-agent: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
