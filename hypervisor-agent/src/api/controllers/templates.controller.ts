import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { TemplateInfo } from '@forkdesk/agent-contract';
import { ENGINE, type EnginePort } from '../../engine/engine.port';
import { CreateTemplateDto } from '../dto/requests.dto';
import { ApiErrorModel, TemplateInfoModel } from '../dto/responses.dto';
import { IdParamPipe } from '../validation';
import { templateOr404 } from './lookup';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplatesController {
  constructor(@Inject(ENGINE) private readonly engine: EnginePort) {}

  @Get()
  @ApiOkResponse({ type: [TemplateInfoModel] })
  list(): TemplateInfo[] {
    return this.engine.listTemplates();
  }

  @Get(':id')
  @ApiOkResponse({ type: TemplateInfoModel })
  @ApiNotFoundResponse({ type: ApiErrorModel })
  get(@Param('id', IdParamPipe) id: string): TemplateInfo {
    return templateOr404(this.engine, id);
  }

  /** Builds the template for this image version and shape, or returns the existing one. */
  @Post()
  @ApiCreatedResponse({ type: TemplateInfoModel })
  @ApiConflictResponse({ type: ApiErrorModel, description: 'template files changed' })
  create(@Body() dto: CreateTemplateDto): Promise<TemplateInfo> {
    return this.engine.ensureTemplate(dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorModel })
  @ApiConflictResponse({ type: ApiErrorModel, description: 'children still use it' })
  async remove(@Param('id', IdParamPipe) id: string): Promise<void> {
    templateOr404(this.engine, id);
    await this.engine.deleteTemplate(id);
  }
}
