// Identifies the QEMU build, part of every template's key: device state from one build is
// only promised to load into the same build.
import { execFileSync } from 'child_process';
import { statSync } from 'fs';
import { createHash } from 'crypto';

export function qemuBuildId(binary: string): string {
  const version = execFileSync(binary, ['--version']).toString().split('\n')[0] ?? '';
  const path = execFileSync('sh', ['-c', 'command -v "$1"', 'sh', binary]).toString().trim();
  const st = statSync(path);
  return createHash('sha256')
    .update(`${version}|${path}|${st.size}|${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
}
