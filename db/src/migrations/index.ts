import { MigrationInterface } from 'typeorm';
import { InitialSchema1764072000000 } from './1764072000000-initial-schema';

/** Every migration, oldest first. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [InitialSchema1764072000000];
