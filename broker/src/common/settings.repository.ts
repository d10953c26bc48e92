import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * The settings table (one JSON value a key): what every broker on the database must share,
 * such as the agents' CA, the tunnel key and the nightly job's last day. Plain enough to be
 * built by hand (`new SettingsRepository(ds)`) where there is no NestJS, as the tests' stack.
 */
@Injectable()
export class SettingsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Stores `value` unless the key has one: of several brokers starting at once, the first wins. */
  async insertIfAbsent(
    key: string,
    value: unknown,
    tx: EntityManager = this.ds.manager,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING`,
      [key, JSON.stringify(value)],
    );
  }

  /** The key's value (the caller knows its shape), or undefined; `lock`: FOR UPDATE in `tx`. */
  async get<T>(
    key: string,
    tx: EntityManager = this.ds.manager,
    lock = false,
  ): Promise<T | undefined> {
    const rows = (await tx.query(
      `SELECT value FROM settings WHERE key = $1${lock ? ' FOR UPDATE' : ''}`,
      [key],
    )) as { value: T }[];
    return rows[0]?.value;
  }

  async set(key: string, value: unknown, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.query(`UPDATE settings SET value = $2::jsonb, updated_at = now() WHERE key = $1`, [
      key,
      JSON.stringify(value),
    ]);
  }
}
