// Unknown ids are 404s with a message naming the id.

import { NotFoundException } from '@nestjs/common';
import type { ChildInfo, TemplateInfo } from '@forkdesk/agent-contract';
import type { EnginePort } from '../../engine/engine.port';

export function templateOr404(engine: EnginePort, id: string): TemplateInfo {
  const t = engine.getTemplate(id);
  if (!t) throw new NotFoundException(`unknown template "${id}"`);
  return t;
}

export function childOr404(engine: EnginePort, id: string): ChildInfo {
  const c = engine.getChild(id);
  if (!c) throw new NotFoundException(`unknown VM "${id}"`);
  return c;
}

/** Milliseconds since `start` (performance.now()), to 0.1 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
