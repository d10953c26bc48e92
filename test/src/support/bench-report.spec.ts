import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatReport, percentile, writeReport } from './bench-report';

describe('percentile', () => {
  it('uses nearest rank', () => {
    const s = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 95)).toBe(10);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('bench reports', () => {
  it('writes the convention JSON and a readable table', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const file = writeReport(
        'fork',
        {
          fork_p50_ms: { value: 120, unit: 'ms', target: 150, better: 'lower' },
          forks_per_s: { value: 8.5, unit: '/s', target: 10, better: 'higher' },
        },
        undefined,
        root,
      );
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(file).toBe(path.join(root, '.forkdesk', 'bench', 'fork.json'));
      expect(json.name).toBe('fork');
      expect(new Date(json.at).getTime()).not.toBeNaN();
      expect(json.figures.fork_p50_ms).toEqual({
        value: 120,
        unit: 'ms',
        target: 150,
        better: 'lower',
      });
      const table = formatReport(json);
      expect(table).toMatch(/fork_p50_ms\s+120 ms\s+≤ 150 ms\s+yes/);
      expect(table).toMatch(/forks_per_s\s+8.50 \/s\s+≥ 10 \/s\s+NO/);
    } finally {
      out.mockRestore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
