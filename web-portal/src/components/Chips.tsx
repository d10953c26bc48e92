import type { ReactNode } from 'react';
import { Alert } from './Alert';
import { ConfirmButton } from './ConfirmButton';
import { useSubmit } from './useSubmit';

/** Named items, each with a Remove button that asks first; `empty` when there are none. */
export function Chips<T extends { id: string }>({
  items,
  empty,
  name,
  remove,
  onRemoved,
}: {
  items: T[];
  empty: string;
  name: (item: T) => ReactNode;
  remove: (item: T) => Promise<unknown>;
  onRemoved: () => void;
}) {
  const s = useSubmit();
  return (
    <>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="chips">
          {items.map((item) => (
            <li key={item.id} className="chip">
              {name(item)}
              <ConfirmButton
                label="Remove"
                confirm="Remove?"
                onConfirm={() => s.run(() => remove(item)).then(onRemoved)}
              />
            </li>
          ))}
        </ul>
      )}
      <Alert error={s.error} />
    </>
  );
}
