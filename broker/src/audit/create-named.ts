import type { DataSource, DeepPartial, EntityTarget } from 'typeorm';
import type { Actor } from '../common/actor';
import { conflictOnDuplicate } from '../common/errors';
import type { AuditService } from './audit.service';

/**
 * Saves a new named row (an image, a group) and its `<kind>.create` record in one transaction;
 * a 409 when the name is taken.
 */
export function createNamed<E extends { id: string; name: string }>(
  ds: DataSource,
  audit: AuditService,
  actor: Actor,
  kind: 'image' | 'group',
  entity: EntityTarget<E>,
  values: DeepPartial<E> & { name: string },
): Promise<E> {
  return conflictOnDuplicate(`${kind} "${values.name}" already exists`, () =>
    ds.transaction(async (tx) => {
      const row = await tx.save(tx.create(entity, values));
      await audit.record(tx, actor, {
        action: `${kind}.create`,
        targetType: kind,
        targetId: row.id,
        details: { name: row.name },
      });
      return row;
    }),
  );
}
