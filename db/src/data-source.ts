import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { SnakeNamingStrategy } from './naming/snake-naming.strategy';

export interface DataSourceConfig {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Pool size per process. */
  poolSize?: number;
  /**
   * How long getting a connection may take (pool wait + connect), in ms: a database whose
   * packets are dropped would otherwise keep a caller waiting for minutes. Default 10 s.
   */
  connectTimeoutMs?: number;
}

/** The one way every part reaches PostgreSQL; schema changes go through migrations only. */
export function dataSourceOptions(config: DataSourceConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    uuidExtension: 'pgcrypto',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.poolSize ?? 10,
      connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
    },
  };
}

export function createDataSource(config: DataSourceConfig): DataSource {
  return new DataSource(dataSourceOptions(config));
}
