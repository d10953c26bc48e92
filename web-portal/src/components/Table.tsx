import type { ReactNode } from 'react';

/** A column heading: its text, or its text and a class (`num` right-aligns figures). */
export type Column = string | { label: string; className?: string };

/**
 * A table with one row of column headings; `actions` adds the last, unlabelled heading of the
 * rows' buttons (read out as "Actions"). In a card unless `bare` (a table inside a card).
 */
export function Table({
  columns,
  actions = false,
  caption,
  bare = false,
  children,
}: {
  columns: Column[];
  actions?: boolean;
  caption?: string;
  bare?: boolean;
  children: ReactNode;
}) {
  const table = (
    <table>
      {caption && <caption className="sr-only">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => {
            const { label, className } = typeof c === 'string' ? { label: c } : c;
            return (
              <th key={label} scope="col" className={className}>
                {label}
              </th>
            );
          })}
          {actions && (
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  return bare ? table : <div className="card table-card">{table}</div>;
}
