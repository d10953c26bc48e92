import { createHmac } from 'node:crypto';
import {
  DisplayTicket,
  newDisplayKey,
  newTicketNonce,
  signTicket,
  TICKET_MAX_TTL_MS,
  verifyTicket,
} from './tickets';

const NOW = 1_800_000_000_000;
const key = newDisplayKey();
const ticket = (over: Partial<DisplayTicket> = {}): DisplayTicket => ({
  user: 'alice',
  desktop: 'child-1',
  mode: 'control',
  exp: NOW + 30_000,
  nonce: newTicketNonce(),
  ...over,
});
const hmac = (payload: string) =>
  createHmac('sha256', Buffer.from(key, 'base64')).update(payload).digest().toString('base64url');

describe('display tickets', () => {
  it('round-trips a signed ticket, with the key as base64 or as bytes', () => {
    const t = ticket();
    // Signing stamps the issue time.
    const issued = { ...t, iat: NOW };
    expect(verifyTicket(signTicket(t, key, NOW), key, NOW)).toEqual({ ok: true, ticket: issued });
    const bytes = Buffer.from(key, 'base64');
    expect(verifyTicket(signTicket(t, bytes, NOW), key, NOW)).toEqual({
      ok: true,
      ticket: issued,
    });
  });

  it('has the documented wire form: base64url(JSON).base64url(HMAC-SHA256)', () => {
    const t = ticket({ nonce: 'n'.repeat(16) });
    const [payload, sig] = signTicket(t, key, NOW).split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({ ...t, iat: NOW });
    expect(sig).toBe(hmac(payload));
  });

  it('rejects another key, a changed payload and garbage', () => {
    const token = signTicket(ticket(), key, NOW);
    expect(verifyTicket(token, newDisplayKey(), NOW)).toEqual({ ok: false, reason: 'signature' });
    const forged = Buffer.from(JSON.stringify(ticket({ user: 'mallory' }))).toString('base64url');
    expect(verifyTicket(`${forged}.${token.split('.')[1]}`, key, NOW)).toEqual({
      ok: false,
      reason: 'signature',
    });
    for (const bad of ['', 'abc', 'a.b.c', '.', 'a.', '!!.??', 'x'.repeat(5000)]) {
      expect(verifyTicket(bad, key, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects signed payloads that are not tickets', () => {
    for (const body of ['{"user":1}', 'not json', JSON.stringify(ticket({ nonce: 'short' }))]) {
      const payload = Buffer.from(body).toString('base64url');
      expect(verifyTicket(`${payload}.${hmac(payload)}`, key, NOW)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('enforces expiry within 60 s', () => {
    const token = signTicket(ticket({ exp: NOW + TICKET_MAX_TTL_MS }), key, NOW);
    expect(verifyTicket(token, key, NOW + TICKET_MAX_TTL_MS)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyTicket(token, key, NOW - 1)).toEqual({ ok: false, reason: 'too-far-ahead' });
    expect(verifyTicket(token, key, NOW + 1).ok).toBe(true);
  });

  it('refuses to sign invalid tickets', () => {
    expect(() => signTicket(ticket({ exp: NOW + 60_001 }), key, NOW)).toThrow(/60 s ahead/);
    expect(() => signTicket(ticket({ exp: NOW }), key, NOW)).toThrow(/already expired/);
    expect(() => signTicket(ticket({ nonce: 'short' }), key, NOW)).toThrow(/bad nonce/);
    expect(() => signTicket(ticket({ user: '' }), key, NOW)).toThrow(/bad user/);
    expect(() => signTicket(ticket({ exp: NOW + 1.5 }), key, NOW)).toThrow(/bad expiry/);
    expect(() => signTicket(ticket(), 'c2hvcnQ=', NOW)).toThrow(/128 bits/);
  });
});
