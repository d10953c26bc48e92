import { Global, Module } from '@nestjs/common';
import { DesktopStateMachine } from './desktop-state';

/** The state machine is used by desktops, agents (reconciliation) and the scheduler. */
@Global()
@Module({ providers: [DesktopStateMachine], exports: [DesktopStateMachine] })
export class DesktopStateModule {}
