import { linePath, niceMax, stack, type BarRow } from './charts';

/** Horizontal stacked bars with a legend; the table of numbers stays available to screen readers. */
export function StackedBars({
  title,
  rows,
  unit,
  legend,
}: {
  title: string;
  rows: BarRow[];
  unit: string;
  legend: { label: string; tone: string }[];
}) {
  const labelW = 120;
  const barW = 300;
  const rowH = 26;
  const max = niceMax(Math.max(0, ...rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0))));
  const height = rows.length * rowH + 22;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? (
        <p className="muted">Nothing to show yet.</p>
      ) : (
        <svg viewBox={`0 0 ${labelW + barW + 70} ${height}`} role="img" aria-label={title}>
          {rows.map((r, i) => {
            const total = r.segments.reduce((a, s) => a + s.value, 0);
            return (
              <g key={r.label} transform={`translate(0 ${i * rowH})`}>
                <text x={labelW - 8} y={16} textAnchor="end" className="chart-label">
                  {r.label.length > 16 ? `${r.label.slice(0, 15)}…` : r.label}
                </text>
                <rect x={labelW} y={4} width={barW} height={16} className="chart-track" rx={3} />
                {stack(r.segments, max, barW).map(({ x, w, seg }) => (
                  <rect
                    key={seg.label}
                    x={labelW + x}
                    y={4}
                    width={w}
                    height={16}
                    className={`tone-${seg.tone}`}
                  >
                    <title>{`${r.label} — ${seg.label}: ${seg.value} ${unit}`}</title>
                  </rect>
                ))}
                <text x={labelW + barW + 8} y={16} className="chart-value">
                  {Math.round(total * 10) / 10} {unit}
                </text>
              </g>
            );
          })}
          <text x={labelW} y={height - 4} className="chart-axis">
            0
          </text>
          <text x={labelW + barW} y={height - 4} textAnchor="end" className="chart-axis">
            {max} {unit}
          </text>
        </svg>
      )}
      <Legend items={legend} />
    </figure>
  );
}

/** Lines over the time this page has been open (one per series). */
export function TimeLines({
  title,
  series,
}: {
  title: string;
  series: { label: string; tone: string; samples: [number, number][] }[];
}) {
  const w = 480;
  const h = 120;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.samples.map(([, v]) => v))));
  const samples = series[0]?.samples.length ?? 0;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {samples < 2 ? (
        <p className="muted">Collecting samples… (one every 10 s while this page is open)</p>
      ) : (
        <svg viewBox={`-30 -8 ${w + 40} ${h + 26}`} role="img" aria-label={title}>
          <line x1={0} y1={h} x2={w} y2={h} className="chart-grid" />
          <line x1={0} y1={0} x2={w} y2={0} className="chart-grid" />
          <text x={-6} y={4} textAnchor="end" className="chart-axis">
            {max}
          </text>
          <text x={-6} y={h} textAnchor="end" className="chart-axis">
            0
          </text>
          {series.map((s) => (
            <path
              key={s.label}
              d={linePath(s.samples, w, h, max)}
              className={`line tone-stroke-${s.tone}`}
            />
          ))}
          <text x={0} y={h + 16} className="chart-axis">
            {new Date(series[0].samples[0][0]).toLocaleTimeString()}
          </text>
          <text x={w} y={h + 16} textAnchor="end" className="chart-axis">
            now
          </text>
        </svg>
      )}
      <Legend items={series} />
    </figure>
  );
}

/** A chart's colour key. */
function Legend({ items }: { items: { label: string; tone: string }[] }) {
  return (
    <ul className="legend">
      {items.map((l) => (
        <li key={l.label}>
          <span className={`swatch tone-${l.tone}`} aria-hidden="true" />
          {l.label}
        </li>
      ))}
    </ul>
  );
}
