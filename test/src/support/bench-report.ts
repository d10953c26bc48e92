import * as fs from 'fs';
import * as path from 'path';

export interface Figure {
  value: number;
  unit: string;
  /** The target; omitted where the issue names none. */
  target?: number;
  better: 'lower' | 'higher';
}

export interface BenchReport {
  name: string;
  at: string;
  figures: Record<string, Figure>;
  /** Free-form context: machine, accelerator, counts. */
  notes?: Record<string, unknown>;
}

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const meets = (f: Figure): string => {
  if (f.target === undefined) return '';
  const ok = f.better === 'lower' ? f.value <= f.target : f.value >= f.target;
  return ok ? 'yes' : 'NO';
};

/** The human table for a report. */
export function formatReport(report: BenchReport): string {
  const rows = Object.entries(report.figures).map(([key, f]) => [
    key,
    `${Number.isInteger(f.value) ? f.value : f.value.toFixed(2)} ${f.unit}`,
    f.target === undefined ? '' : `${f.better === 'lower' ? '≤' : '≥'} ${f.target} ${f.unit}`,
    meets(f),
  ]);
  const head = ['figure', 'measured', 'target', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [`bench ${report.name} — ${report.at}`, line(head), ...rows.map(line)].join('\n');
}

/** Prints the table and writes .forkdesk/bench/<name>.json; returns the file's path. */
export function writeReport(
  name: string,
  figures: Record<string, Figure>,
  notes?: Record<string, unknown>,
  root = path.resolve(__dirname, '..', '..', '..'),
): string {
  const report: BenchReport = {
    name,
    at: new Date().toISOString(),
    figures,
    ...(notes ? { notes } : {}),
  };
  const dir = path.join(root, '.forkdesk', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatReport(report)}\n\nwritten to ${file}\n`);
  return file;
}
