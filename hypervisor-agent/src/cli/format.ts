// Plain-text output of the CLI: aligned tables and human times. Pure.

import type { ChildInfo, HostCapacity, TemplateInfo } from '@forkdesk/agent-contract';

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatAge(createdAt: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(createdAt)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function childrenTable(children: ChildInfo[], now: number): string {
  if (children.length === 0) return 'no children\n';
  return table(
    ['ID', 'TEMPLATE', 'PID', 'STATE', 'FORK', 'WARM', 'PRIVATE', 'AGE'],
    children.map((c) => [
      c.id,
      c.templateId,
      String(c.pid),
      c.state,
      formatMs(c.forkMs),
      c.warm ? 'yes' : 'no',
      c.memory ? `${c.memory.privateMiB.toFixed(1)} MiB` : '-',
      formatAge(c.createdAt, now),
    ]),
  );
}

export function templatesTable(templates: TemplateInfo[]): string {
  if (templates.length === 0) return 'no templates\n';
  return table(
    ['ID', 'IMAGE', 'SHAPE', 'ACCEL', 'STATE', 'CHILDREN', 'BUILD', 'DEVICE STATE'],
    templates.map((t) => [
      t.id,
      t.imageVersion,
      `${t.shape.vcpus} vCPU / ${t.shape.memoryMiB} MiB`,
      t.accel,
      t.error ? `${t.state}: ${t.error}` : t.state,
      String(t.children),
      formatMs(t.buildMs),
      `${Math.round(t.deviceStateBytes / 1024)} KiB`,
    ]),
  );
}

export function capacityText(c: HostCapacity): string {
  return table(
    ['HOST', 'ACCEL', 'TOTAL', 'AVAILABLE', 'RESERVE', 'TEMPLATES', 'CHILDREN', 'CHILDREN PRIVATE'],
    [
      [
        c.hostname,
        c.accel,
        `${c.totalMiB} MiB`,
        `${c.availableMiB} MiB`,
        `${c.reserveMiB} MiB`,
        String(c.templates),
        String(c.children),
        `${c.childrenPrivateMiB} MiB`,
      ],
    ],
  );
}
