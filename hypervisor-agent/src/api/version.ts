import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The agent's package version; the same relative path holds from src/ (tests) and dist/. */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
