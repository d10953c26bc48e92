import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, NullableTime } from './columns';
import { AgentState } from './enums';

/** A hypervisor host running the fork engine and the display gateway. */
@Entity('agents')
export class Agent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 128, unique: true })
  name!: string;

  @Column({
    type: 'enum',
    enum: AgentState,
    enumName: 'agent_state',
    default: AgentState.Enrolling,
  })
  state!: AgentState;

  /** sha256 of the one-time enrollment token; cleared once used. */
  @Column({ type: 'varchar', length: 64, nullable: true, unique: true })
  enrollmentTokenHash!: string | null;

  /** Base URL of the agent's HTTP API. */
  @Column({ type: 'text', nullable: true })
  apiUrl!: string | null;

  /**
   * Bearer token the broker presents to the agent: kept in clear because the broker must send
   * it (a hash could not be presented).
   */
  @Column({ type: 'text', nullable: true })
  apiToken!: string | null;

  /**
   * sha256 (hex) of the bearer token the agent presents to the broker (heartbeats): only
   * verified here, so only its hash is kept. Agents enrolled before it existed present their
   * apiToken, whose hash the migration put here.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  heartbeatTokenHash!: string | null;

  /** Per-agent HMAC key for display tickets, minted at enrollment. */
  @Column({ type: 'text', nullable: true })
  displayKey!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  gatewayHost!: string | null;

  @Column({ type: 'integer', nullable: true })
  gatewayPort!: number | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  accel!: string | null;

  @Column({ type: 'integer', default: 0 })
  totalMib!: number;

  @Column({ type: 'integer', default: 0 })
  availableMib!: number;

  @Column({ type: 'integer', default: 0 })
  reserveMib!: number;

  @NullableTime()
  lastHeartbeatAt!: Date | null;

  /** Why the agent is draining, lost or refused (a sentence for admins); null when healthy. */
  @Column({ type: 'text', nullable: true })
  problem!: string | null;

  @NullableTime()
  problemAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
