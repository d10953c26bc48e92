import type { DesktopResolver } from '../gateway/server';
import type { ForkEngine } from '../fork/fork-engine';

/** The display gateway's view of the engine's children: a live child's VNC socket and resizer. */
export function engineDisplayResolver(engine: ForkEngine): DesktopResolver {
  return {
    resolve: async (id) => {
      const child = engine.getChild(id);
      if (!child || child.state === 'dead') return undefined;
      const resize = engine.displayResizer(id);
      return { vncSocket: child.vncSocket, ...(resize ? { resize } : {}) };
    },
  };
}
