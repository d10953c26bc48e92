import { query } from './client';

describe('query strings', () => {
  it('keeps only given values, encoded', () => {
    expect(query({ action: 'pool.create', actor: '', since: undefined, limit: 50 })).toBe(
      '?action=pool.create&limit=50',
    );
    expect(query({ actor: 'a b&c' })).toBe('?actor=a+b%26c');
    expect(query({})).toBe('');
  });
});
