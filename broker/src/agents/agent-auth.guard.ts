import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Agent } from '@forkdesk/db';
import type { Request } from 'express';
import { AgentsService } from './agents.service';

type AgentRequest = Request & { agent?: Agent };

/** Agent routes: the `:agentId` of the path with its bearer token, checked before the body. */
@Injectable()
export class AgentAuthGuard implements CanActivate {
  constructor(private readonly agents: AgentsService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AgentRequest>();
    const token = /^Bearer +(\S+)\s*$/i.exec(req.header('authorization') ?? '')?.[1];
    req.agent = await this.agents.authenticate(String(req.params.agentId), token);
    return true;
  }
}

export const CurrentAgent = createParamDecorator((_: unknown, ctx: ExecutionContext): Agent => {
  const agent = ctx.switchToHttp().getRequest<AgentRequest>().agent;
  if (!agent) throw new Error('CurrentAgent used without AgentAuthGuard');
  return agent;
});
