// Declarations the entities repeat, each one decorator. They change nothing in the schema (the
// migrations own it; the schema spec checks that the entities match it).
import {
  Column,
  CreateDateColumn,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type ObjectType,
} from 'typeorm';
import { snake } from '../naming/snake-naming.strategy';

/** When the row was made. */
export const CreatedAt = (): PropertyDecorator => CreateDateColumn({ type: 'timestamptz' });

/** When the row last changed. */
export const UpdatedAt = (): PropertyDecorator => UpdateDateColumn({ type: 'timestamptz' });

/** A moment that may not have come (null until it does). */
export const NullableTime = (): PropertyDecorator =>
  Column({ type: 'timestamptz', nullable: true });

/**
 * The row that the entity's `<property>Id` column refers to: a many-to-one relation joined on
 * `<property>_id`, whose foreign key (named `fk`, else by TypeORM) does `onDelete`.
 */
export function RefersTo<T>(
  target: () => ObjectType<T>,
  onDelete: 'CASCADE' | 'RESTRICT' | 'SET NULL',
  { inverse, fk }: { inverse?: (row: T) => unknown; fk?: string } = {},
): PropertyDecorator {
  return (proto, key) => {
    const relation = inverse
      ? ManyToOne(target, inverse, { onDelete })
      : ManyToOne(target, { onDelete });
    relation(proto, key);
    JoinColumn({
      name: `${snake(String(key))}_id`,
      ...(fk ? { foreignKeyConstraintName: fk } : {}),
    })(proto, key);
  };
}

/** A row an admin names (an image, a group): a unique name, a description, when it was made. */
export abstract class NamedRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @CreatedAt()
  createdAt!: Date;
}
