import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Agent } from '@forkdesk/db';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { EnrollmentResponse, HeartbeatReply } from '@forkdesk/agent-contract';
import type { Request } from 'express';
import { Public, Roles } from '../common/roles.decorator';
import { type Actor, clientIp, CurrentActor } from '../common/actor';
import { AgentView, CreateEnrollmentTokenDto, EnrollDto, HeartbeatDto } from './agents.dto';
import { AgentsService } from './agents.service';
import { AgentAuthGuard, CurrentAgent } from './agent-auth.guard';

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/agents')
export class AdminAgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  list(): Promise<AgentView[]> {
    return this.agents.list();
  }

  @Post('enrollment-tokens')
  createToken(
    @Body() dto: CreateEnrollmentTokenDto,
    @CurrentActor() actor: Actor,
  ): Promise<{ token: string; agentId: string }> {
    return this.agents.createEnrollmentToken(dto.name, actor);
  }
}

/**
 * The agents' side, at the paths of the agent contract (BROKER_ENROLL_PATH,
 * BROKER_HEARTBEAT_PATH); outside /api, so the session and CSRF rules do not apply.
 */
@ApiTags('agents')
@Public()
@Controller('v1/agents')
export class AgentApiController {
  constructor(private readonly agents: AgentsService) {}

  @Post('enroll')
  @HttpCode(200)
  enroll(@Body() dto: EnrollDto, @Req() req: Request): Promise<EnrollmentResponse> {
    return this.agents.enroll(dto, clientIp(req));
  }

  @Post(':agentId/heartbeat')
  @HttpCode(200)
  @ApiBearerAuth()
  @UseGuards(AgentAuthGuard)
  heartbeat(@CurrentAgent() agent: Agent, @Body() dto: HeartbeatDto): Promise<HeartbeatReply> {
    if (dto.agentId !== agent.id) throw new BadRequestException(['agentId must match the path']);
    return this.agents.heartbeat(agent, dto);
  }
}
