import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type {
  ChildInfo,
  ExecResult,
  ForkResponse,
  RevokeDisplayResponse,
} from '@forkdesk/agent-contract';
import { ENGINE, type EnginePort } from '../../engine/engine.port';
import { ForkKeys } from '../../fork/fork-keys';
import { DISPLAYS, type DisplayControl } from '../../gateway/display-control';
import { AgentMetrics } from '../../metrics/agent-metrics';
import { ExecDto, ForkDto, PersonalizeDto, RevokeDisplayDto } from '../dto/requests.dto';
import {
  ApiErrorModel,
  ChildInfoModel,
  ExecResultModel,
  ForkResponseModel,
  RevokeDisplayResponseModel,
} from '../dto/responses.dto';
import { IdParamPipe } from '../validation';
import { childOr404, elapsedMs, templateOr404 } from './lookup';

@ApiTags('children')
@ApiBearerAuth()
@Controller('v1/children')
export class ChildrenController {
  constructor(
    @Inject(ENGINE) private readonly engine: EnginePort,
    private readonly metrics: AgentMetrics,
    private readonly keys: ForkKeys,
    @Inject(DISPLAYS) private readonly displays: DisplayControl,
  ) {}

  @Get()
  @ApiOkResponse({ type: [ChildInfoModel] })
  list(): ChildInfo[] {
    return this.engine.listChildren();
  }

  /** Forks `count` children of a ready template. */
  @Post()
  @ApiCreatedResponse({ type: ForkResponseModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  @ApiConflictResponse({ type: ApiErrorModel, description: 'template not ready or changed' })
  @ApiServiceUnavailableResponse({
    type: ApiErrorModel,
    description: 'free memory would fall under the reserve (Retry-After set)',
  })
  async fork(@Body() dto: ForkDto): Promise<ForkResponse> {
    const template = templateOr404(this.engine, dto.templateId);
    if (template.state !== 'ready') {
      throw new ConflictException(`template "${template.id}" is ${template.state}, not ready`);
    }
    const start = performance.now();
    const count = dto.count ?? 1;
    const fork = async () => {
      const made = await this.engine.fork(template.id, count, {
        network: dto.network,
        cpuLimitPercent: dto.cpuLimitPercent,
        spare: dto.spare,
      });
      this.metrics.observeForks(made);
      return made;
    };
    const children = dto.idempotencyKey
      ? (await this.keys.run(dto.idempotencyKey, template.id, count, fork)).map(
          (c) => this.engine.getChild(c.id) ?? { ...c, state: 'dead' as const },
        )
      : await fork();
    return { children, totalMs: elapsedMs(start) };
  }

  @Get(':id')
  @ApiOkResponse({ type: ChildInfoModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  get(@Param('id', IdParamPipe) id: string): ChildInfo {
    return childOr404(this.engine, id);
  }

  /** Stops the child and deletes its disk delta. */
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorModel })
  async destroy(@Param('id', IdParamPipe) id: string): Promise<void> {
    childOr404(this.engine, id);
    await this.engine.destroy(id);
  }

  /** Hostname, clock, user name and persistent disk, through the guest agent. */
  @Post(':id/personalize')
  @HttpCode(200)
  @ApiOkResponse({ type: ChildInfoModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  async personalize(
    @Param('id', IdParamPipe) id: string,
    @Body() dto: PersonalizeDto,
  ): Promise<ChildInfo> {
    childOr404(this.engine, id);
    await this.engine.personalize(id, dto);
    return childOr404(this.engine, id);
  }

  /** Runs a command in the guest through the guest agent. */
  @Post(':id/exec')
  @HttpCode(200)
  @ApiOkResponse({ type: ExecResultModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  exec(@Param('id', IdParamPipe) id: string, @Body() dto: ExecDto): Promise<ExecResult> {
    childOr404(this.engine, id);
    return this.engine.exec(id, dto);
  }

  /**
   * Takes display access back (log-off, a disabled user, a new password): the desktop's live
   * connections (of `user`, when given) close and tickets issued before now are refused. The
   * child need not exist any more: its tickets are refused all the same.
   */
  @Post(':id/display/revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: RevokeDisplayResponseModel })
  revokeDisplay(
    @Param('id', IdParamPipe) id: string,
    @Body() dto: RevokeDisplayDto,
  ): RevokeDisplayResponse {
    return { closed: this.displays.revoke(id, dto.user) };
  }
}
