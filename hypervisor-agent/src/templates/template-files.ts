import { existsSync } from 'fs';
import type { TemplateRecord } from './template';

/**
 * The frozen files a template's children are made from that are gone (deleted behind the
 * agent's back, a wiped /dev/shm): such a template can fork nothing and must not be reported
 * ready, so the broker sees it gone and asks for it again.
 */
export function missingTemplateFiles(r: TemplateRecord): string[] {
  return [r.ramFile, r.stateFile, r.overlay, r.deltaProto].filter((f) => !existsSync(f));
}
