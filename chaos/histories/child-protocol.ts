// What chaos/history-child.ts and its parent (process-commands.ts) agree on: where the child stops, and the lines
// it prints. Kept apart from the child, whose module runs the child when imported.

import type { EngineStep } from '../../lambdas/engine/sync-engine.ts';

/** Where the child stops: after the nth durable step (of a kind) of a sync, or before/after the nth tables/ PUT. */
export type LocalKillPoint =
  | { at: 'step'; step?: EngineStep; nth: number }
  | { at: 'put'; when: 'before' | 'after'; nth: number };

export const HISTORY_KILL_MARKER = 'HISTORY-KILL-POINT ';
export const HISTORY_DONE_MARKER = 'HISTORY-DONE ';
