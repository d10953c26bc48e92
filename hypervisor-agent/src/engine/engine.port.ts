import type {
  ChildInfo,
  CreateTemplateRequest,
  ExecRequest,
  ExecResult,
  ForkSettings,
  HostCapacity,
  Personalization,
  TemplateInfo,
} from '@forkdesk/agent-contract';
import type { DisplayTarget } from '../gateway/session/desktop-session';
import type { ForkHookResult } from '../guest/fork-hook';

/**
 * What the HTTP API, the CLI and the display gateway need from the fork engine.
 * The engine implements it; controllers depend only on this.
 */
export interface EnginePort {
  listTemplates(): TemplateInfo[];
  getTemplate(id: string): TemplateInfo | undefined;
  /** Builds (boot, wait ready, freeze) or reuses the template for this version and shape. */
  ensureTemplate(req: CreateTemplateRequest): Promise<TemplateInfo>;
  deleteTemplate(id: string): Promise<void>;
  /**
   * Forks `count` children concurrently, with the request's network and CPU limit (a limit
   * out of range for the template is a RangeError); resolves when every child's guest agent
   * answers.
   */
  fork(templateId: string, count: number, settings?: ForkSettings): Promise<ChildInfo[]>;
  /** Freezes a running VM as a new template and brings it back as child 0. */
  forkRunning(
    vmId: string,
    count: number,
  ): Promise<{ template: TemplateInfo; children: ChildInfo[] }>;
  listChildren(): ChildInfo[];
  getChild(id: string): ChildInfo | undefined;
  destroy(id: string): Promise<void>;
  /** Resolves to what the image's fork hook reported, when it has one. */
  personalize(id: string, p: Personalization): Promise<ForkHookResult | undefined>;
  exec(id: string, req: ExecRequest): Promise<ExecResult>;
  capacity(): Promise<HostCapacity>;
  /** A live child's display, or undefined (no such child, or dead). */
  display(id: string): DisplayTarget | undefined;
}

export const ENGINE = Symbol('EnginePort');
