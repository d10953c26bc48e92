/**
 * Many distinct employees for load tests, written straight into the stack's database: one
 * argon2id hash computed once (the broker still verifies it per login at the pinned cost), each
 * user a member of the group the stack's pool is entitled to.
 */
import { hashPassword } from '@forkdesk/db';
import { PortalApi } from '../faults/portal-api';
import type { Credentials, Stack } from '../support/stack';

export interface Employee extends Credentials {
  id: string;
}

export async function createEmployees(
  stack: Stack,
  count: number,
  prefix = 'load',
): Promise<Employee[]> {
  const password = `${prefix}-password-1234`;
  const hash = await hashPassword(password);
  const [group] = await stack.query<{ group_id: string }>(
    `SELECT group_id FROM entitlements WHERE pool_id = $1 AND group_id IS NOT NULL LIMIT 1`,
    [stack.poolId],
  );
  if (!group) throw new Error('the stack pool has no group entitlement');
  const rows = await stack.query<{ id: string; username: string }>(
    `INSERT INTO users (username, display_name, role, password_hash)
     SELECT $1 || lpad(i::text, 4, '0'), 'Load user ' || i, 'user', $2
       FROM generate_series(1, $3::int) AS i
     RETURNING id, username`,
    [`${prefix}-`, hash, count],
  );
  await stack.query(`INSERT INTO memberships (user_id, group_id) SELECT unnest($1::uuid[]), $2`, [
    rows.map((r) => r.id),
    group.group_id,
  ]);
  return rows
    .map((r) => ({ id: r.id, username: r.username, password }))
    .sort((a, b) => a.username.localeCompare(b.username));
}

/** A signed-in portal client whose calls may wait up to `timeoutMs` (load tests queue). */
export async function signIn(
  baseUrl: string,
  who: Credentials,
  timeoutMs: number,
): Promise<PortalApi> {
  const api = new PortalApi(baseUrl, timeoutMs);
  await api.call('GET', '/health'); // hands out the CSRF cookie
  const res = await api.call('POST', '/api/auth/login', {
    username: who.username,
    password: who.password,
  });
  if (res.status !== 200) throw new Error(`login ${who.username}: ${res.status}`);
  return api;
}
