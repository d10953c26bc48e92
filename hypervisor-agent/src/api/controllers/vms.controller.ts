import { Body, Controller, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { ForkRunningResponse } from '@forkdesk/agent-contract';
import { ENGINE, type EnginePort } from '../../engine/engine.port';
import { AgentMetrics } from '../../metrics/agent-metrics';
import { ForkRunningDto } from '../dto/requests.dto';
import { ApiErrorModel, ForkRunningResponseModel } from '../dto/responses.dto';
import { IdParamPipe } from '../validation';
import { childOr404, elapsedMs } from './lookup';

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/vms')
export class VmsController {
  constructor(
    @Inject(ENGINE) private readonly engine: EnginePort,
    private readonly metrics: AgentMetrics,
  ) {}

  /**
   * Freezes a running VM into a new template and forks it; the VM itself comes back as
   * child 0 (it loses only the pause). Its RAM is copied in full: a re-fork is not free.
   */
  @Post(':id/fork')
  @ApiCreatedResponse({ type: ForkRunningResponseModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  @ApiServiceUnavailableResponse({ type: ApiErrorModel })
  async fork(
    @Param('id', IdParamPipe) id: string,
    @Body() dto: ForkRunningDto,
  ): Promise<ForkRunningResponse> {
    childOr404(this.engine, id);
    const start = performance.now();
    const { template, children } = await this.engine.forkRunning(id, dto.count ?? 1);
    this.metrics.observeForks(children);
    return { template, children, totalMs: elapsedMs(start) };
  }
}
