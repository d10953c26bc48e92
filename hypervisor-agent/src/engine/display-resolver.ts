import type { DesktopResolver } from '../gateway/server';
import type { EnginePort } from './engine.port';

/** The display gateway's view of the engine's children. */
export function engineDisplayResolver(engine: EnginePort): DesktopResolver {
  return { resolve: (id) => Promise.resolve(engine.display(id)) };
}
