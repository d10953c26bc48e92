import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SESSION_COOKIE } from './cookies';
import type { AuthedRequest } from '../common/current-user.decorator';
import { PUBLIC_KEY, ROLES_KEY } from '../common/roles.decorator';
import { SessionStore } from './session.store';

/** Every route needs a session unless marked @Public(); @Roles() narrows it to roles. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const token = (req.cookies as Record<string, string | undefined>)[SESSION_COOKIE];
    const session = token ? await this.sessions.resolve(token) : null;
    if (!session) throw new UnauthorizedException('sign in first');
    req.user = session.user;
    req.sessionId = session.sessionId;
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(session.user.role)) {
      throw new ForbiddenException('this needs the admin role');
    }
    return true;
  }
}
