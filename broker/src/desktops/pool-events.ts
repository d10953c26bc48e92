import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'events';

/** "This pool may need new spares now" (a logoff, a failed fork); the scheduler listens. */
@Injectable()
export class PoolEvents {
  private readonly emitter = new EventEmitter();

  changed(poolId: string): void {
    this.emitter.emit('changed', poolId);
  }

  onChanged(listener: (poolId: string) => void): void {
    this.emitter.on('changed', listener);
  }
}
