import { useState } from 'react';

/**
 * A form's text values and, per field, the change handler that writes it: `bind('name')` goes
 * to an input's `onChange`.
 */
export function useFields<V extends Record<string, string>>(
  initial: V,
): {
  values: V;
  setValues: (v: V) => void;
  bind: (k: keyof V) => (e: { target: { value: string } }) => void;
} {
  const [values, setValues] = useState<V>(initial);
  const bind = (k: keyof V) => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });
  return { values, setValues, bind };
}
