import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/roles.decorator';
import { type Actor, CurrentActor } from '../common/actor';
import { UuidParam } from '../common/uuid-param';
import {
  CreateEntitlementDto,
  CreatePoolDto,
  EntitlementView,
  PoolView,
  UpdatePoolDto,
} from './pools.dto';
import { PoolsService } from './pools.service';

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/pools')
export class PoolsController {
  constructor(private readonly pools: PoolsService) {}

  @Get()
  list(): Promise<PoolView[]> {
    return this.pools.list();
  }

  @Post()
  create(@Body() dto: CreatePoolDto, @CurrentActor() actor: Actor): Promise<PoolView> {
    return this.pools.create(dto, actor);
  }

  @Get(':id')
  get(@Param('id', UuidParam) id: string): Promise<PoolView> {
    return this.pools.get(id);
  }

  @Patch(':id')
  update(
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdatePoolDto,
    @CurrentActor() actor: Actor,
  ): Promise<PoolView> {
    return this.pools.update(id, dto, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.pools.remove(id, actor);
  }

  @Get(':id/entitlements')
  entitlements(@Param('id', UuidParam) id: string): Promise<EntitlementView[]> {
    return this.pools.entitlements(id);
  }

  @Post(':id/entitlements')
  entitle(
    @Param('id', UuidParam) id: string,
    @Body() dto: CreateEntitlementDto,
    @CurrentActor() actor: Actor,
  ): Promise<EntitlementView> {
    return this.pools.entitle(id, dto, actor);
  }

  @Delete(':id/entitlements/:entitlementId')
  @HttpCode(204)
  revoke(
    @Param('id', UuidParam) id: string,
    @Param('entitlementId', UuidParam) entitlementId: string,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    return this.pools.revoke(id, entitlementId, actor);
  }
}
