import { MigrationInterface } from 'typeorm';
import { InitialSchema1764072000000 } from './1764072000000-initial-schema';
import { BrokerSessions1764500000000 } from './1764500000000-broker-sessions';

/** Every migration, oldest first. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1764072000000,
  BrokerSessions1764500000000,
];
