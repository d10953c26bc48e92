import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Actor, clientIp, CurrentActor } from '../common/actor';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { ChangePasswordDto, LoginDto } from './auth.dto';
import { AuthService } from './auth.service';
import { SESSION_COOKIE, sessionCookieOptions } from './cookies';
import { type AuthedRequest, CurrentUser } from '../common/current-user.decorator';
import { Public } from '../common/roles.decorator';
import type { SessionUser } from '../common/session-user';
import { SignIns } from '../common/sign-ins';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly signIns: SignIns,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ user: SessionUser }> {
    const { token, user } = await this.auth.login(dto.username, dto.password, clientIp(req));
    const { secureCookies, sessionTtlMin } = this.config.auth;
    res.cookie(SESSION_COOKIE, token, sessionCookieOptions(secureCookies, sessionTtlMin * 60_000));
    this.signIns.signedIn(user); // a spare is held for them in the background
    return { user };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(
    @Req() req: AuthedRequest,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    if (req.sessionId) await this.auth.logout(req.sessionId, actor);
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config.auth.secureCookies));
  }

  @Get('me')
  me(@CurrentUser() user: SessionUser): { user: SessionUser } {
    return { user };
  }

  @Post('password')
  @HttpCode(204)
  async password(
    @Body() dto: ChangePasswordDto,
    @Req() req: AuthedRequest,
    @CurrentUser() user: SessionUser,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    await this.auth.changePassword(
      user,
      req.sessionId ?? '',
      dto.currentPassword,
      dto.newPassword,
      actor,
    );
  }
}
