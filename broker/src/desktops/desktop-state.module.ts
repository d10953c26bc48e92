import { Global, Module } from '@nestjs/common';
import { DesktopStateMachine } from './desktop-state';
import { DiskLeases } from './disk-leases';

/** The state machine and disk leases are used by desktops, agents (reconciliation, heartbeat
 * renewals) and the scheduler. */
@Global()
@Module({
  providers: [DesktopStateMachine, DiskLeases],
  exports: [DesktopStateMachine, DiskLeases],
})
export class DesktopStateModule {}
