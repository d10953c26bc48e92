import { DynamicModule, Module } from '@nestjs/common';
import { ApiModule, type ApiModuleOptions } from './api/api.module';

/** Root module. The display gateway runs beside Nest (its own TCP server), not inside it. */
@Module({})
export class AppModule {
  static forRoot(opts: ApiModuleOptions): DynamicModule {
    return { module: AppModule, imports: [ApiModule.register(opts)] };
  }
}
