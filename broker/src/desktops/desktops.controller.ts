import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/current-user.decorator';
import { Roles } from '../common/roles.decorator';
import type { SessionUser } from '../common/session-user';
import { type Actor, CurrentActor } from '../common/actor';
import { UuidParam } from '../common/uuid-param';
import { type TunnelGrant, TunnelService } from '../tunnel/tunnel.service';
import {
  type DesktopBrief,
  DesktopsService,
  type MyPool,
  type SessionView,
} from './desktops.service';

@ApiTags('my')
@Controller('api/my')
export class MyDesktopsController {
  constructor(
    private readonly desktops: DesktopsService,
    private readonly tunnels: TunnelService,
  ) {}

  @Get('pools')
  pools(@CurrentUser() user: SessionUser): Promise<MyPool[]> {
    return this.desktops.myPools(user);
  }

  @Post('pools/:poolId/open')
  @HttpCode(200)
  async open(
    @Param('poolId', UuidParam) poolId: string,
    @CurrentUser() user: SessionUser,
    @CurrentActor() actor: Actor,
  ): Promise<{ desktop: DesktopBrief }> {
    return { desktop: await this.desktops.open(user, poolId, actor) };
  }

  @Get('desktops/:id')
  get(@Param('id', UuidParam) id: string, @CurrentUser() user: SessionUser): Promise<DesktopBrief> {
    return this.desktops.mine(user.id, id);
  }

  @Post('desktops/:id/connect')
  @HttpCode(200)
  connect(
    @Param('id', UuidParam) id: string,
    @CurrentUser() user: SessionUser,
    @CurrentActor() actor: Actor,
  ): Promise<TunnelGrant> {
    return this.tunnels.grant(id, 'control', actor, user.id);
  }

  @Post('desktops/:id/logoff')
  @HttpCode(204)
  logoff(
    @Param('id', UuidParam) id: string,
    @CurrentUser() user: SessionUser,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    return this.desktops.logoff(id, actor, user.id);
  }
}

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/sessions')
export class AdminSessionsController {
  constructor(
    private readonly desktops: DesktopsService,
    private readonly tunnels: TunnelService,
  ) {}

  @Get()
  list(): Promise<SessionView[]> {
    return this.desktops.sessions();
  }

  /** A read-only view of someone's desktop. */
  @Post(':desktopId/shadow')
  @HttpCode(200)
  shadow(
    @Param('desktopId', UuidParam) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<TunnelGrant> {
    return this.tunnels.grant(id, 'view', actor, null);
  }

  @Post(':desktopId/logoff')
  @HttpCode(204)
  logoff(@Param('desktopId', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<void> {
    // An admin's logoff also unassigns a dedicated desktop.
    return this.desktops.logoff(id, actor, null, 'admin logoff', { unassign: true });
  }
}
