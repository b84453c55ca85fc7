// Where test/chaos/replay-child.ts stops dead for its parent to SIGKILL it, and the line it prints there.

export interface ReplayKillPoint {
  /** A PUT of a data month object, or a delete of month objects. */
  op: 'put' | 'delete';
  when: 'before' | 'after';
  /** The n-th such call of the replay (1-based). */
  nth: number;
}

export const REPLAY_KILL_MARKER = 'REPLAY-KILL-POINT ';
