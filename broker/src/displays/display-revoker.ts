import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AGENT_CLIENT, type AgentClient } from '../agents/agent-client';
import { LOGGER } from '../common/logger';
import { type DisplayTarget, DisplayTargetsRepository } from './display-targets.repository';

/**
 * How long the user's action waits for the agents to close the displays: long enough that
 * its answer comes after the connections are gone (the norm), short enough that an agent that
 * does not answer delays it little. A later answer or failure is still logged.
 */
export const REVOKE_WAIT_MS = 2_000;

/**
 * Takes display access back (issue 15): after a logoff, a disabled account, a password reset
 * or a sign-out, the desktop's (or the user's) live display connections end at the agent's
 * gateway and the tickets issued before are refused. Called once the action is committed; an
 * agent that cannot be reached is logged and never fails the action (its desktop's tickets
 * still expire within a minute, and a disabled user cannot get a new one).
 */
@Injectable()
export class DisplayRevoker {
  constructor(
    private readonly targets: DisplayTargetsRepository,
    @Inject(AGENT_CLIENT) private readonly client: AgentClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Every display connection to the desktop, whoever holds it (its owner, a shadow). */
  async desktop(desktopId: string, reason: string): Promise<void> {
    await this.guarded(reason, { desktopId }, async () => {
      const t = await this.targets.ofDesktop(desktopId);
      return t ? [t] : [];
    });
  }

  /** The user's display connections, on every desktop they hold or watch. */
  async user(userId: string, reason: string): Promise<void> {
    await this.guarded(reason, { userId }, () => this.targets.ofUser(userId), userId);
  }

  private async guarded(
    reason: string,
    scope: Record<string, string>,
    find: () => Promise<DisplayTarget[]>,
    user?: string,
  ): Promise<void> {
    let targets: DisplayTarget[];
    try {
      targets = await find();
    } catch (err) {
      this.log.error({ err, reason, ...scope }, 'could not find the displays to revoke');
      return;
    }
    const calls = targets.map((t) => this.revokeOne(t, reason, user));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(calls),
      new Promise<void>((r) => (timer = setTimeout(r, REVOKE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** One agent call; never throws (logged instead). */
  private async revokeOne(t: DisplayTarget, reason: string, user?: string): Promise<void> {
    const at = { reason, desktopId: t.desktopId, vmId: t.vmId, agent: t.agent.name, user };
    try {
      const { closed } = await this.client.revokeDisplay(t.agent, t.vmId, user ? { user } : {});
      this.log.info({ ...at, closed }, 'display access revoked');
    } catch (err) {
      this.log.warn({ err, ...at }, 'could not revoke display access on the agent');
    }
  }
}
