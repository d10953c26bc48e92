import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { TunnelGrant } from '@forkdesk/broker-contract';
import { newTicketNonce, signTicket, type DisplayMode } from '@forkdesk/agent-contract';
import { DesktopSession, DesktopState as S, SessionMode, SessionState } from '@forkdesk/db';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../desktops/desktop-state';
import { TunnelKey } from './tunnel-key';
import { encryptTunnelToken } from './tunnel-token';

export const TUNNEL_PATH = '/tunnel';

export type { TunnelGrant } from '@forkdesk/broker-contract';

/** Connect arguments the broker adds for itself; guacd/the gateway ignore unknown names. */
export const SESSION_SETTING = 'forkdesk-session';

@Injectable()
export class TunnelService {
  constructor(
    private readonly ds: DataSource,
    private readonly key: TunnelKey,
    private readonly audit: AuditService,
    private readonly states: DesktopStateMachine,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /**
   * A token for one connection to a desktop. `ownerId` set: only that user's desktop (404
   * otherwise, as for one that does not exist); mode 'view' is the admins' shadow.
   */
  async grant(
    desktopId: string,
    mode: DisplayMode,
    actor: Actor,
    ownerId: string | null,
  ): Promise<TunnelGrant> {
    return this.ds.transaction(async (tx) => {
      const rows = (await tx.query(
        `SELECT d.id, d.state, d.vm_id, d.assigned_user_id, a.gateway_host, a.gateway_port, a.display_key
           FROM desktops d LEFT JOIN agents a ON a.id = d.agent_id
          WHERE d.id = $1 FOR UPDATE OF d`,
        [desktopId],
      )) as {
        id: string;
        state: S;
        vm_id: string | null;
        assigned_user_id: string | null;
        gateway_host: string | null;
        gateway_port: number | null;
        display_key: string | null;
      }[];
      const d = rows[0];
      if (!d || (ownerId !== null && d.assigned_user_id !== ownerId))
        throw new NotFoundException('desktop not found');
      if ((d.state !== S.Assigned && d.state !== S.InUse) || !d.vm_id)
        throw new ConflictException(`desktop is ${d.state}, not ready for a connection`);
      if (!d.gateway_host || !d.gateway_port || !d.display_key)
        throw new RetryLaterException("the desktop's host has no display gateway", 30);
      if (mode === 'control') {
        // One controlling connection: a reconnect replaces the previous one.
        await tx.query(
          `UPDATE desktop_sessions SET ended_at = now(), end_reason = 'replaced'
            WHERE desktop_id = $1 AND mode = 'control' AND ended_at IS NULL`,
          [d.id],
        );
        if (d.state === S.Assigned) await this.states.move(tx, d.id, [S.Assigned], S.InUse, actor);
        else await tx.query(`UPDATE desktops SET last_active_at = now() WHERE id = $1`, [d.id]);
      }
      const session = await tx.save(
        tx.create(DesktopSession, {
          desktopId: d.id,
          userId: actor.userId!,
          mode: mode === 'view' ? SessionMode.View : SessionMode.Control,
          clientIp: actor.ip,
        }),
      );
      await this.audit.record(tx, actor, {
        action: mode === 'view' ? 'desktop.shadow' : 'desktop.connect',
        targetType: 'desktop',
        targetId: d.id,
        details: { sessionId: session.id },
      });
      const now = Date.now();
      const ticket = signTicket(
        {
          user: actor.userId!,
          desktop: d.vm_id,
          mode,
          exp: now + this.config.ticketTtlS * 1000,
          nonce: newTicketNonce(),
        },
        d.display_key,
        now,
      );
      const token = encryptTunnelToken(
        {
          connection: {
            type: 'vnc',
            guacdHost: d.gateway_host,
            guacdPort: d.gateway_port,
            settings: { desktop: d.vm_id, ticket, [SESSION_SETTING]: session.id },
          },
        },
        this.key.get(),
      );
      return { tunnelPath: TUNNEL_PATH, token };
    });
  }

  /** The owner's display connection is up: the desktop's session is connected. */
  async opened(sessionId: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const rows = (await tx.query(
        `SELECT desktop_id, user_id, client_ip FROM desktop_sessions
          WHERE id = $1 AND ended_at IS NULL AND mode = 'control'`,
        [sessionId],
      )) as { desktop_id: string; user_id: string; client_ip: string | null }[];
      const s = rows[0];
      if (!s) return; // replaced or logged off meanwhile
      await this.states.session(
        tx,
        s.desktop_id,
        [null, SessionState.Disconnected, SessionState.LoggedOff],
        SessionState.Connected,
        await this.ownerActor(tx, s.user_id, s.client_ip),
        { sessionId },
      );
    });
  }

  /**
   * A display connection closed: the session ends, the desktop counts as active until now,
   * and when it was the owner's, the desktop's session is disconnected (the pool's
   * disconnect timeout starts).
   */
  async closed(sessionId: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE desktop_sessions SET ended_at = now(), end_reason = 'disconnected'
          WHERE id = $1 AND ended_at IS NULL RETURNING desktop_id, user_id, client_ip, mode`,
        [sessionId],
      )) as [{ desktop_id: string; user_id: string; client_ip: string | null; mode: string }[]];
      const s = rows[0];
      if (!s) return; // replaced by a reconnect, or logged off
      await tx.query(`UPDATE desktops SET last_active_at = now() WHERE id = $1`, [s.desktop_id]);
      if (s.mode !== SessionMode.Control) return;
      await this.states.session(
        tx,
        s.desktop_id,
        [null, SessionState.Connected],
        SessionState.Disconnected,
        await this.ownerActor(tx, s.user_id, s.client_ip),
        { sessionId },
      );
    });
  }

  private async ownerActor(tx: EntityManager, userId: string, ip: string | null): Promise<Actor> {
    const [u] = (await tx.query(`SELECT username FROM users WHERE id = $1`, [userId])) as {
      username: string;
    }[];
    return { userId, name: `user:${u?.username ?? userId}`, ip };
  }
}
