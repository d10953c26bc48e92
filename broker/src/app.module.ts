import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@forkdesk/db';
import type { Logger } from 'pino';
import { AgentsModule } from './agents/agents.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CLOCK, systemClock } from './common/clock';
import { LOGGER } from './common/logger';
import { BrokerMetrics } from './common/metrics';
import { SettingsRepository } from './common/settings.repository';
import { BROKER_CONFIG, type BrokerConfig } from './config';
import { DesktopsModule } from './desktops/desktops.module';
import { HealthModule } from './health/health.module';
import { ImagesModule } from './images/images.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { PoolsModule } from './pools/pools.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { TunnelModule } from './tunnel/tunnel.module';
import { UsersModule } from './users/users.module';

/** Config, logger, clock, metrics and the shared settings: one of each per broker, everywhere. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: BrokerConfig, log: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: BROKER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
        { provide: CLOCK, useValue: systemClock },
        BrokerMetrics,
        SettingsRepository,
      ],
      exports: [BROKER_CONFIG, LOGGER, CLOCK, BrokerMetrics, SettingsRepository],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: BrokerConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, log),
        TypeOrmModule.forRoot({
          // pg-pool's timeout also bounds the wait for a free pooled connection: a storm on a
          // busy host may queue seconds for one, which is not an outage. A hung database gets
          // its 503 from the DatabaseWatch deadline (own connection), not from this timeout.
          ...dataSourceOptions({
            url: config.databaseUrl,
            poolSize: config.dbPoolSize,
            connectTimeoutMs: 15_000,
          }),
          // Schema changes go through migrations (infra: `db migrate`), never synchronize.
          synchronize: false,
          migrationsRun: false,
        }),
        AuditModule,
        HealthModule,
        AuthModule,
        LifecycleModule,
        UsersModule,
        ImagesModule,
        PoolsModule,
        AgentsModule,
        TunnelModule,
        DesktopsModule,
        SchedulerModule,
      ],
    };
  }
}
