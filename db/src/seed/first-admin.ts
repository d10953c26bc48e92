import { DataSource } from 'typeorm';
import { hashPassword, randomPassword } from '../auth/passwords';
import { AuditEvent, User, UserRole } from '../entities';

export interface CreatedAdmin {
  username: string;
  password: string;
}

/**
 * Creates the first admin with a random password when no admin exists yet. The password is
 * returned once, to be printed once; only its hash is stored.
 */
export async function seedFirstAdmin(
  ds: DataSource,
  username = 'admin',
): Promise<CreatedAdmin | null> {
  const password = randomPassword();
  const passwordHash = await hashPassword(password);
  return ds.transaction(async (tx) => {
    // Serialize concurrent seeds so two starts cannot both create an admin.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['forkdesk.seed.first-admin']);
    if ((await tx.count(User, { where: { role: UserRole.Admin } })) > 0) return null;
    const user = await tx.save(
      tx.create(User, {
        username,
        displayName: 'Administrator',
        role: UserRole.Admin,
        passwordHash,
      }),
    );
    await tx.save(
      tx.create(AuditEvent, {
        actor: 'system',
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        details: { username, role: UserRole.Admin, reason: 'first admin' },
      }),
    );
    return { username, password };
  });
}
