// Display tickets: the broker signs one per connection; the agent's gateway checks it.
// guacamole-lite's own token is AES-CBC without integrity, so this HMAC is the real check.
// Wire form: base64url(JSON payload) "." base64url(HMAC-SHA256(displayKey, first part)).
// Same wire form and times as the gateway's checker (hypervisor-agent/src/gateway/ticket).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DisplayMode = 'view' | 'control';

export interface DisplayTicket {
  /** Broker user id (or name) the desktop is shown to. */
  user: string;
  /** Desktop (child VM) id on this agent. */
  desktop: string;
  /** 'view' for shadowing (input dropped), 'control' for the owner. */
  mode: DisplayMode;
  /** Expiry, Unix milliseconds; at most TICKET_MAX_TTL_MS ahead of the signer's clock. */
  exp: number;
  /** Random, single use: the gateway refuses a nonce it has already seen before `exp`. */
  nonce: string;
  /**
   * Issued at, Unix milliseconds (signTicket sets it): a revocation refuses the tickets issued
   * before it. A ticket without it counts as issued a full TTL before its expiry.
   */
  iat?: number;
}

/** When the ticket was issued (or, lacking `iat`, the earliest it can have been). */
export function ticketIssuedAt(t: DisplayTicket): number {
  return t.iat ?? t.exp - TICKET_MAX_TTL_MS;
}

export const TICKET_MAX_TTL_MS = 60_000;
const MAX_TICKET_CHARS = 4096;
const MAX_FIELD_CHARS = 256;
const NONCE_CHARS = { min: 16, max: 128 };

export type TicketRejection = 'malformed' | 'signature' | 'expired' | 'too-far-ahead';

export type TicketCheck =
  { ok: true; ticket: DisplayTicket } | { ok: false; reason: TicketRejection };

/** A fresh per-agent display key (base64, 256 bits), minted at enrollment. */
export function newDisplayKey(): string {
  return randomBytes(32).toString('base64');
}

export function newTicketNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The key as bytes: a Buffer as is, a string as base64 (how enrollment hands it out). */
function keyBytes(displayKey: Buffer | string): Buffer {
  const key = typeof displayKey === 'string' ? Buffer.from(displayKey, 'base64') : displayKey;
  if (key.length < 16) throw new Error('display key must be at least 128 bits');
  return key;
}

function mac(displayKey: Buffer | string, payload: string): Buffer {
  return createHmac('sha256', keyBytes(displayKey)).update(payload, 'ascii').digest();
}

/** Signs a ticket. Throws when the ticket itself is invalid (e.g. exp more than 60 s ahead). */
export function signTicket(
  ticket: DisplayTicket,
  displayKey: Buffer | string,
  nowMs = Date.now(),
): string {
  const problem = ticketProblem(ticket, nowMs);
  if (problem) throw new Error(`invalid display ticket: ${problem}`);
  const body: DisplayTicket = {
    user: ticket.user,
    desktop: ticket.desktop,
    mode: ticket.mode,
    exp: ticket.exp,
    nonce: ticket.nonce,
    iat: ticket.iat ?? nowMs,
  };
  const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${payload}.${mac(displayKey, payload).toString('base64url')}`;
}

/** Checks signature, shape and time window. Replay (nonce reuse) is the verifier's to track. */
export function verifyTicket(
  token: string,
  displayKey: Buffer | string,
  nowMs = Date.now(),
): TicketCheck {
  const parts =
    typeof token === 'string' && token.length <= MAX_TICKET_CHARS ? token.split('.') : [];
  if (parts.length !== 2 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = mac(displayKey, parts[0]);
  const given = Buffer.from(parts[1], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isTicketShape(parsed) || fieldProblem(parsed)) return { ok: false, reason: 'malformed' };
  if (parsed.exp <= nowMs) return { ok: false, reason: 'expired' };
  if (parsed.exp > nowMs + TICKET_MAX_TTL_MS) return { ok: false, reason: 'too-far-ahead' };
  return { ok: true, ticket: parsed };
}

function isTicketShape(v: unknown): v is DisplayTicket {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.user === 'string' &&
    typeof o.desktop === 'string' &&
    (o.mode === 'view' || o.mode === 'control') &&
    typeof o.exp === 'number' &&
    typeof o.nonce === 'string' &&
    (o.iat === undefined || typeof o.iat === 'number')
  );
}

function fieldProblem(t: DisplayTicket): string | undefined {
  if (t.user.length === 0 || t.user.length > MAX_FIELD_CHARS) return 'bad user';
  if (t.desktop.length === 0 || t.desktop.length > MAX_FIELD_CHARS) return 'bad desktop';
  if (t.mode !== 'view' && t.mode !== 'control') return 'bad mode';
  if (t.nonce.length < NONCE_CHARS.min || t.nonce.length > NONCE_CHARS.max) return 'bad nonce';
  if (!Number.isSafeInteger(t.exp)) return 'bad expiry';
  if (t.iat !== undefined && (!Number.isSafeInteger(t.iat) || t.iat > t.exp))
    return 'bad issue time';
  return undefined;
}

function ticketProblem(t: DisplayTicket, nowMs: number): string | undefined {
  const field = fieldProblem(t);
  if (field) return field;
  if (t.exp <= nowMs) return 'already expired';
  if (t.exp > nowMs + TICKET_MAX_TTL_MS) return 'expiry more than 60 s ahead';
  return undefined;
}
