import { randomBytes } from 'crypto';
import type { Client } from 'pg';
import { quoteIdent } from './ident';

/**
 * The roles clients log in with. The cluster's superuser (the service user's name) is only for
 * the CLI's own administration; the broker, its migrations and the agents' broker never hold it.
 * The app role owns its database and nothing else; the test role may also create the per-file
 * databases the suites make (each then owned by it).
 */
export const APP_ROLE = 'forkdesk_app';
export const TEST_ROLE = 'forkdesk_test';

export interface RolePasswords {
  appPassword: string;
  testPassword: string;
}

export const newRolePasswords = (): RolePasswords => ({
  appPassword: randomBytes(24).toString('base64url'),
  testPassword: randomBytes(24).toString('base64url'),
});

const ATTRS = 'LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';

/** Creates the roles or brings their attributes and passwords in line (passwords are ours). */
export async function ensureRoles(admin: Client, pw: RolePasswords): Promise<void> {
  const roles: [string, string, string][] = [
    [APP_ROLE, 'NOCREATEDB', pw.appPassword],
    [TEST_ROLE, 'CREATEDB', pw.testPassword],
  ];
  for (const [name, createdb, password] of roles) {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    const verb = exists.rowCount ? 'ALTER' : 'CREATE';
    // Role names are constants; the password is a base64url string, so the literal is safe.
    await admin.query(`${verb} ROLE ${name} ${ATTRS} ${createdb} PASSWORD '${password}'`);
  }
}

/**
 * Hands database `database` (connected to as the superuser) to `owner`: the database, its public
 * schema and every table and sequence in it (a cluster made before these roles existed had them
 * all owned by the superuser), and shuts everyone else out of it.
 */
export async function handOver(admin: Client, database: string, owner: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${owner}`);
  await admin.query(`REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
  await admin.query(`ALTER SCHEMA public OWNER TO ${owner}`);
  const owned = await admin.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind,
            format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v')
        AND pg_get_userbyid(c.relowner) <> $1
        -- a sequence a table owns follows its table
        AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
    [owner],
  );
  for (const o of owned.rows) await admin.query(`ALTER ${o.kind} ${o.name} OWNER TO ${owner}`);
}
