/** A small coloured state label; the tone follows the word. */
const TONES: Record<string, string> = {
  ready: 'green',
  published: 'green',
  active: 'green',
  connected: 'green',
  'in use': 'blue',
  in_use: 'blue',
  assigned: 'blue',
  starting: 'amber',
  forking: 'amber',
  importing: 'amber',
  building: 'amber',
  enrolling: 'amber',
  draining: 'amber',
  ending: 'grey',
  destroying: 'grey',
  retired: 'grey',
  failed: 'red',
  lost: 'red',
  admin: 'violet',
};

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${TONES[value] ?? 'grey'}`}>{value.replace('_', ' ')}</span>;
}
