import { Injectable } from '@nestjs/common';
import type * as contract from '@forkdesk/broker-contract';
import type { ForkSettings, NetworkMode } from '@forkdesk/agent-contract';
import { AssignmentMode, DesktopState as S, SessionState } from '@forkdesk/db';
import { DataSource, type EntityManager } from 'typeorm';
import type { AgentEndpoint } from '../agents/agent-client';
import { ASSIGNED_STATES, desktopStep, HOLDING_A_VM } from '../lifecycle/desktop-states';

export type MyPool = contract.MyPool<Date>;

export type SessionView = contract.SessionView<Date>;

/** Pools a user may open: entitled directly or through a group. `$1` is the user. */
const ENTITLED = `EXISTS (SELECT 1 FROM entitlements e
   WHERE e.pool_id = p.id AND (e.user_id = $1 OR e.group_id IN
     (SELECT m.group_id FROM memberships m WHERE m.user_id = $1)))`;

/**
 * The user's live desktop in a pool: assigned to them, being forked for them, or a spare held
 * for them. `$1` is the user, `$2` and `$3` are MINE_PARAMS.
 */
const MINE = `((d.assigned_user_id = $1 AND d.state = ANY($2))
   OR (d.reserved_user_id = $1 AND d.state = ANY($3)))`;
const MINE_PARAMS = [ASSIGNED_STATES, [S.Forking, S.Ready]] as const;

/** The user's desktop in a pool, as "open" and the holds look at it. */
export interface MyDesktop {
  id: string;
  state: S;
  sessionState: SessionState | null;
  /** Set when it is a spare held for the user. */
  heldUntil: Date | null;
  personalizedAt: Date | null;
}

/** A ready spare, locked for its assignment, with its agent's endpoint. */
export interface Spare {
  id: string;
  vmId: string;
  agentId: string;
  endpoint: AgentEndpoint;
}

/** A `destroying` desktop and what it takes to destroy its VM (nothing when it has none). */
export interface DestroyTarget {
  poolId: string;
  vmId: string | null;
  endpoint: AgentEndpoint | null;
}

interface MyPoolRow {
  id: string;
  name: string;
  vcpus: number;
  memory_mib: number;
  assignment_mode: AssignmentMode;
  persistent_home: boolean;
  desktop_id: string | null;
  desktop_state: S;
  session_state: SessionState | null;
  disconnected_at: Date | null;
  held_until: Date | null;
  personalized_at: Date | null;
  since: Date;
}

interface SessionRow {
  id: string;
  state: S;
  assigned_user_id: string;
  username: string;
  pool_id: string;
  pool: string;
  agent: string | null;
  assigned_at: Date | null;
  private_mib: number | null;
  shared_mib: number | null;
  connected: boolean;
  session_state: SessionState | null;
  disconnected_at: Date | null;
  assignment_mode: AssignmentMode;
}

/** Desktops as users and admins see them, and the rows "open" and the fork steps write. */
@Injectable()
export class DesktopsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The pools the user is entitled to, each with the user's live desktop in it, if any. */
  async myPools(userId: string): Promise<MyPool[]> {
    const rows = (await this.ds.query(
      `SELECT p.id, p.name, p.vcpus, p.memory_mib, p.assignment_mode, p.persistent_home,
              d.id AS desktop_id, d.state AS desktop_state, d.session_state, d.disconnected_at,
              d.held_until, d.personalized_at,
              COALESCE(d.last_active_at, d.assigned_at, d.created_at) AS since
         FROM pools p
         LEFT JOIN desktops d ON d.pool_id = p.id AND ${MINE}
        WHERE ${ENTITLED}
        ORDER BY p.name`,
      [userId, ...MINE_PARAMS],
    )) as MyPoolRow[];
    return rows.map((r) => ({
      pool: {
        id: r.id,
        name: r.name,
        vcpus: r.vcpus,
        memoryMib: r.memory_mib,
        assignmentMode: r.assignment_mode,
        persistentHome: r.persistent_home,
      },
      desktop: r.desktop_id
        ? {
            id: r.desktop_id,
            state: r.desktop_state,
            step: desktopStep(r.desktop_state, r.personalized_at),
            heldUntil: r.held_until,
            since: r.since,
            sessionState: r.session_state,
            disconnectedAt: r.disconnected_at,
          }
        : null,
    }));
  }

  async isEntitled(userId: string, poolId: string): Promise<boolean> {
    const rows = (await this.ds.query(`SELECT p.id FROM pools p WHERE p.id = $2 AND ${ENTITLED}`, [
      userId,
      poolId,
    ])) as unknown[];
    return rows.length > 0;
  }

  /** The user's live desktop in the pool. */
  async mine(tx: EntityManager, userId: string, poolId: string): Promise<MyDesktop | null> {
    const [r] = (await tx.query(
      `SELECT d.id, d.state, d.session_state, d.held_until, d.personalized_at
         FROM desktops d WHERE d.pool_id = $4 AND ${MINE} LIMIT 1`,
      [userId, ...MINE_PARAMS, poolId],
    )) as {
      id: string;
      state: S;
      session_state: SessionState | null;
      held_until: Date | null;
      personalized_at: Date | null;
    }[];
    return r
      ? {
          id: r.id,
          state: r.state,
          sessionState: r.session_state,
          heldUntil: r.held_until,
          personalizedAt: r.personalized_at,
        }
      : null;
  }

  /**
   * The oldest free ready spare (not held for anyone) of this version on an active agent,
   * locked (FOR UPDATE SKIP LOCKED: concurrent opens take different spares, never the same).
   */
  async takeSpare(tx: EntityManager, poolId: string, versionId: string): Promise<Spare | null> {
    const [s] = (await tx.query(
      `SELECT d.id, d.vm_id, d.agent_id, a.api_url, a.api_token FROM desktops d JOIN agents a ON a.id = d.agent_id
        WHERE d.pool_id = $1 AND d.state = $3 AND d.image_version_id = $2 AND a.state = 'active'
          AND d.reserved_user_id IS NULL
        ORDER BY d.ready_at
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED`,
      [poolId, versionId, S.Ready],
    )) as { id: string; vm_id: string; agent_id: string; api_url: string; api_token: string }[];
    return s
      ? {
          id: s.id,
          vmId: s.vm_id,
          agentId: s.agent_id,
          endpoint: { apiUrl: s.api_url, apiToken: s.api_token },
        }
      : null;
  }

  /** Holds the pool's row until the transaction ends: counting against max is exact then. */
  async lockPool(tx: EntityManager, poolId: string): Promise<void> {
    await tx.query(`SELECT id FROM pools WHERE id = $1 FOR UPDATE`, [poolId]);
  }

  /** The pool's desktops that count against its maximum (HOLDING_A_VM). */
  async countHoldingAVm(tx: EntityManager, poolId: string): Promise<number> {
    const [r] = (await tx.query(
      `SELECT count(*)::int AS n FROM desktops WHERE pool_id = $1 AND state = ANY($2)`,
      [poolId, HOLDING_A_VM],
    )) as { n: number }[];
    return r.n;
  }

  /** A new `forking` row (a spare, or reserved for the user waiting for it); returns its id. */
  async insertForking(
    tx: EntityManager,
    d: {
      poolId: string;
      versionId: string;
      agentId: string;
      templateId: string;
      reservedUserId?: string;
    },
  ): Promise<string> {
    const [r] = (await tx.query(
      `INSERT INTO desktops (pool_id, image_version_id, agent_id, template_id, state, reserved_user_id)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [d.poolId, d.versionId, d.agentId, d.templateId, S.Forking, d.reservedUserId ?? null],
    )) as { id: string }[];
    return r.id;
  }

  /** Ends the desktop's open display sessions. */
  async endSessions(tx: EntityManager, desktopId: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE desktop_sessions SET ended_at = now(), end_reason = $2 WHERE desktop_id = $1 AND ended_at IS NULL`,
      [desktopId, reason],
    );
  }

  /** Assigned desktops with their users, pools and agents (the admins' sessions page). */
  async sessions(): Promise<SessionView[]> {
    const rows = (await this.ds.query(
      `SELECT d.id, d.state, d.assigned_user_id, u.username, d.pool_id, p.name AS pool, a.name AS agent,
              d.assigned_at, d.private_mib, d.shared_mib, d.session_state, d.disconnected_at, p.assignment_mode,
              EXISTS (SELECT 1 FROM desktop_sessions s WHERE s.desktop_id = d.id AND s.mode = 'control' AND s.ended_at IS NULL) AS connected
         FROM desktops d JOIN users u ON u.id = d.assigned_user_id JOIN pools p ON p.id = d.pool_id
         LEFT JOIN agents a ON a.id = d.agent_id
        WHERE d.state = ANY($1)
        ORDER BY d.assigned_at`,
      [ASSIGNED_STATES],
    )) as SessionRow[];
    return rows.map((r) => ({
      desktopId: r.id,
      state: r.state,
      userId: r.assigned_user_id,
      username: r.username,
      poolId: r.pool_id,
      pool: r.pool,
      agent: r.agent,
      since: r.assigned_at,
      connected: r.connected,
      sessionState: r.session_state,
      disconnectedAt: r.disconnected_at,
      assignmentMode: r.assignment_mode,
      privateMib: r.private_mib,
      sharedMib: r.shared_mib,
    }));
  }

  /** What the pool's new desktops are forked with: its network mode and CPU limit. */
  async forkSettingsOf(poolId: string): Promise<ForkSettings> {
    const [r] = (await this.ds.query(
      `SELECT network_mode, cpu_limit_percent FROM pools WHERE id = $1`,
      [poolId],
    )) as { network_mode: NetworkMode; cpu_limit_percent: number | null }[];
    if (!r) return {};
    const limit = r.cpu_limit_percent;
    return { network: r.network_mode, ...(limit === null ? {} : { cpuLimitPercent: limit }) };
  }

  async setLastError(desktopId: string, error: string): Promise<void> {
    await this.ds.query(`UPDATE desktops SET last_error = $2 WHERE id = $1`, [
      desktopId,
      error.slice(0, 1000),
    ]);
  }

  /** Whether the desktop's pool keeps its users' home disks. */
  async hasPersistentHome(desktopId: string): Promise<boolean> {
    const [r] = (await this.ds.query(
      `SELECT p.persistent_home FROM desktops d JOIN pools p ON p.id = d.pool_id WHERE d.id = $1`,
      [desktopId],
    )) as { persistent_home: boolean }[];
    return r?.persistent_home ?? false;
  }

  /** The desktop if it is `destroying`, with what its VM's destruction needs. */
  async destroyTarget(desktopId: string): Promise<DestroyTarget | null> {
    const [d] = (await this.ds.query(
      `SELECT d.pool_id, d.vm_id, a.api_url, a.api_token FROM desktops d
         LEFT JOIN agents a ON a.id = d.agent_id WHERE d.id = $1 AND d.state = $2`,
      [desktopId, S.Destroying],
    )) as {
      pool_id: string;
      vm_id: string | null;
      api_url: string | null;
      api_token: string | null;
    }[];
    if (!d) return null;
    return {
      poolId: d.pool_id,
      vmId: d.vm_id,
      endpoint: d.api_url && d.api_token ? { apiUrl: d.api_url, apiToken: d.api_token } : null,
    };
  }
}
