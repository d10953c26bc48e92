import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { DisplayRevoker } from './display-revoker';
import { DisplayTargetsRepository } from './display-targets.repository';

/** Display access taken back from users (logoff, disabled, new password, sign-out). */
@Module({
  imports: [AgentsModule],
  providers: [DisplayRevoker, DisplayTargetsRepository],
  exports: [DisplayRevoker],
})
export class DisplaysModule {}
