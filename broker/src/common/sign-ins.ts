import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'events';
import type { SessionUser } from './session-user';

/**
 * "This user just signed in": the desktops module listens (it holds a spare for them), so the
 * auth module does not depend on it. Listeners must not throw and must not make login wait.
 */
@Injectable()
export class SignIns {
  private readonly emitter = new EventEmitter();

  signedIn(user: SessionUser): void {
    this.emitter.emit('signed-in', user);
  }

  onSignedIn(listener: (user: SessionUser) => void): void {
    this.emitter.on('signed-in', listener);
  }
}
