// The per-day model of a synthetic person: what the generator decides about a day (DayPlan: its zone, device,
// night, workouts, cut-off) and the minute bytes it draws (DayMinutes).

import type { DeviceSpec } from './spec.ts';

export const MINUTES_PER_DAY = 1440;
export const MINUTE_MS = 60_000;

export interface SleepStage {
  /** minutes from midnight(D), inclusive; may be >= 1440 */
  start: number;
  stop: number;
  mode: number;
}

export interface SleepModel {
  /** epoch seconds */
  st: number;
  ed: number;
  dp: number;
  lt: number;
  wk: number;
  wc: number;
  ss: number;
  rhr: number;
  stages: SleepStage[];
}

export interface WorkoutPlan {
  trackid: number;
  type: number;
  durationS: number;
  /** seconds excluded from run_time (one pause), 0 for none */
  pauseS: number;
}

export interface DayPlan {
  date: string;
  hasData: boolean;
  offsetS: number;
  /** epoch ms of local midnight */
  midnight: number;
  /** Minutes of the day that may carry data: 1440, fewer when the next day's offset is larger, the cut-off today. */
  usableMinutes: number;
  /**
   * Minutes the generator draws: usableMinutes, except today in a world cut at an instant (SimOptions.now),
   * where the whole day is drawn and the minutes after the cut masked: what a day held at 10:00 it still
   * holds at 23:00, as a real device's record only grows.
   */
  minutesDrawn: number;
  isToday: boolean;
  device: DeviceSpec;
  goal: number;
  /** epoch s of the last sync of this day */
  sync: number;
  /** The night following D; null when there is none (today, long-haul travel night). */
  sleep: SleepModel | null;
  /** The night as drawn, which the minutes follow: also today's in a world cut at an instant (it may have begun). */
  night: SleepModel | null;
  /** Workouts finished by the cut-off (the history lists them). */
  workouts: WorkoutPlan[];
  /** Workouts as drawn, which the minutes follow: also today's still running at the instant of the cut. */
  workoutsDrawn: WorkoutPlan[];
}

export interface DayMinutes {
  kind: Uint8Array;
  intensity: Uint8Array;
  steps: Uint8Array;
  hr: Uint8Array;
}
