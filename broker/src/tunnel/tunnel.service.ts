import {
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { TunnelGrant } from '@forkdesk/broker-contract';
import { newTicketNonce, signTicket, type DisplayMode } from '@forkdesk/agent-contract';
import { DesktopState as S, SessionMode, SessionState } from '@forkdesk/db';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { RetryLaterException } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { ASSIGNED_STATES } from '../lifecycle/desktop-states';
import { TunnelKey } from './tunnel-key';
import { TunnelRepository } from './tunnel.repository';
import { encryptTunnelToken } from './tunnel-token';

export const TUNNEL_PATH = '/tunnel';

export type { TunnelGrant } from '@forkdesk/broker-contract';

/** Connect arguments the broker adds for itself; guacd/the gateway ignore unknown names. */
export const SESSION_SETTING = 'forkdesk-session';

@Injectable()
export class TunnelService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: TunnelRepository,
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
      const d = await this.repo.lockTarget(tx, desktopId);
      if (!d || (ownerId !== null && d.assignedUserId !== ownerId))
        throw new NotFoundException('desktop not found');
      // An entitlement taken away (from the user or their group) ends new connections too.
      if (ownerId !== null && !(await this.repo.entitledToDesktopPool(tx, ownerId, d.id)))
        throw new ForbiddenException("you are no longer entitled to this desktop's pool");
      if (!ASSIGNED_STATES.includes(d.state) || !d.vmId)
        throw new ConflictException(`desktop is ${d.state}, not ready for a connection`);
      const { vmId, gatewayHost, gatewayPort, displayKey } = d;
      if (!gatewayHost || !gatewayPort || !displayKey)
        throw new RetryLaterException("the desktop's host has no display gateway", 30);
      if (mode === 'control') {
        // One controlling connection: a reconnect replaces the previous one.
        await this.repo.endControlSessions(tx, d.id);
        if (d.state === S.Assigned) await this.states.move(tx, d.id, [S.Assigned], S.InUse, actor);
        else await this.repo.touchDesktop(tx, d.id);
      }
      const sessionId = await this.repo.insertSession(tx, {
        desktopId: d.id,
        userId: actor.userId!,
        mode: mode === 'view' ? SessionMode.View : SessionMode.Control,
        clientIp: actor.ip,
      });
      await this.audit.record(tx, actor, {
        action: mode === 'view' ? 'desktop.shadow' : 'desktop.connect',
        targetType: 'desktop',
        targetId: d.id,
        details: { sessionId },
      });
      const now = Date.now();
      const ticket = signTicket(
        {
          user: actor.userId!,
          desktop: vmId,
          mode,
          exp: now + this.config.ticketTtlS * 1000,
          nonce: newTicketNonce(),
        },
        displayKey,
        now,
      );
      const token = encryptTunnelToken(
        {
          connection: {
            type: 'vnc',
            guacdHost: gatewayHost,
            guacdPort: gatewayPort,
            settings: { desktop: vmId, ticket, [SESSION_SETTING]: sessionId },
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
      const s = await this.repo.openControlSession(tx, sessionId);
      if (!s) return; // replaced or logged off meanwhile
      await this.states.session(
        tx,
        s.desktopId,
        [null, SessionState.Disconnected, SessionState.LoggedOff],
        SessionState.Connected,
        await this.ownerActor(tx, s.userId, s.clientIp),
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
      const s = await this.repo.closeSession(tx, sessionId);
      if (!s) return; // replaced by a reconnect, or logged off
      await this.repo.touchDesktop(tx, s.desktopId);
      if (s.mode !== SessionMode.Control) return;
      await this.states.session(
        tx,
        s.desktopId,
        [null, SessionState.Connected],
        SessionState.Disconnected,
        await this.ownerActor(tx, s.userId, s.clientIp),
        { sessionId },
      );
    });
  }

  private async ownerActor(tx: EntityManager, userId: string, ip: string | null): Promise<Actor> {
    return { userId, name: `user:${(await this.repo.username(tx, userId)) ?? userId}`, ip };
  }
}
