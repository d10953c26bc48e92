import { MigrationInterface } from 'typeorm';
import { InitialSchema1764072000000 } from './1764072000000-initial-schema';
import { BrokerSessions1764500000000 } from './1764500000000-broker-sessions';
import { AssignmentModesDiskLeases1765000000000 } from './1765000000000-assignment-modes-disk-leases';
import { AgentProblems1765300000000 } from './1765300000000-agent-problems';
import { HeartbeatTokenHashes1796700000000 } from './1796700000000-heartbeat-token-hashes';
import { HeldSpares1796710000000 } from './1796710000000-held-spares';
import { PoolCpuLimit1796720000000 } from './1796720000000-pool-cpu-limit';

/** Every migration, oldest first. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1764072000000,
  BrokerSessions1764500000000,
  AssignmentModesDiskLeases1765000000000,
  AgentProblems1765300000000,
  HeartbeatTokenHashes1796700000000,
  HeldSpares1796710000000,
  PoolCpuLimit1796720000000,
];
