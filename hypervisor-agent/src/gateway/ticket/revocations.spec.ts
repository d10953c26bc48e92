import type { DisplayTicket } from '@forkdesk/agent-contract';
import { Revocations } from './revocations';

let now = 1_000_000;
const ticket = (over: Partial<DisplayTicket>): DisplayTicket => ({
  user: 'alice',
  desktop: 'c-1',
  mode: 'control',
  exp: now + 30_000,
  nonce: 'n'.repeat(22),
  iat: now,
  ...over,
});

describe('Revocations', () => {
  it('refuses tickets issued before a revocation of the desktop, not those issued after', () => {
    const r = new Revocations(() => now);
    const before = ticket({});
    now += 10;
    r.revoke('c-1');
    now += 10;
    expect(r.isRevoked(before)).toBe(true);
    expect(r.isRevoked(ticket({ user: 'bob', iat: now - 20 }))).toBe(true);
    expect(r.isRevoked(ticket({}))).toBe(false);
    expect(r.isRevoked(ticket({ desktop: 'c-2', iat: now - 20 }))).toBe(false);
  });

  it('revokes one user of a desktop only, and counts a ticket without iat as a full TTL old', () => {
    const r = new Revocations(() => now);
    r.revoke('c-1', 'alice');
    now += 1;
    expect(r.isRevoked(ticket({ iat: now - 5 }))).toBe(true);
    expect(r.isRevoked(ticket({ user: 'bob', iat: now - 5 }))).toBe(false);
    expect(r.isRevoked(ticket({ iat: undefined, exp: now + 30_000 }))).toBe(true);
    expect(r.isRevoked(ticket({ iat: now }))).toBe(false);
  });
});
