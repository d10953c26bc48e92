import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DisplaysModule } from '../displays/displays.module';
import { AuthController } from './auth.controller';
import { AuthRepository } from './auth.repository';
import { SessionGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AUTH_STRATEGIES, LocalPasswordStrategy } from './auth-strategy';
import { SessionStore } from './session.store';
import { SignIns } from '../common/sign-ins';

@Global()
@Module({
  imports: [DisplaysModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    AuthRepository,
    SessionStore,
    SignIns,
    LocalPasswordStrategy,
    // Tried in order; add an OIDC or LDAP strategy here.
    {
      provide: AUTH_STRATEGIES,
      useFactory: (local: LocalPasswordStrategy) => [local],
      inject: [LocalPasswordStrategy],
    },
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
  exports: [SessionStore, SignIns],
})
export class AuthModule {}
