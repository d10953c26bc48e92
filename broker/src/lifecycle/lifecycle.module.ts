import { Global, Module } from '@nestjs/common';
import { DesktopStateMachine } from './desktop-state';
import { DiskLeases } from './disk-leases';
import { LifecycleRepository } from './lifecycle.repository';

/**
 * The layer below agents, desktops, tunnel and scheduler: the desktop state machine (its one
 * audited move()), the named state sets and the home disk leases. It imports only the base
 * (common/, audit/, config).
 */
@Global()
@Module({
  providers: [DesktopStateMachine, DiskLeases, LifecycleRepository],
  exports: [DesktopStateMachine, DiskLeases],
})
export class LifecycleModule {}
