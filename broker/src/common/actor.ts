import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionUser } from './session-user';

/** Who acts, for the audit log: a user (with address), an agent, or the system. */
export interface Actor {
  userId: string | null;
  /** 'user:<name>', 'agent:<name>' or 'system'. */
  name: string;
  ip: string | null;
}

export const SYSTEM: Actor = { userId: null, name: 'system', ip: null };

export const actorOf = (user: SessionUser, ip: string | null): Actor => ({
  userId: user.id,
  name: `user:${user.username}`,
  ip,
});

export const clientIp = (req: Request): string | null =>
  (req.ip ?? req.socket.remoteAddress ?? null)?.replace(/^::ffff:/, '') ?? null;

/** The signed-in user as an audit actor. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<Request & { user?: SessionUser }>();
  if (!req.user) throw new Error('CurrentActor used on a route without a session');
  return actorOf(req.user, clientIp(req));
});
