// The streams, listed once. A stream is one kind of vendor fetch with its own cursor and ledger entries; it feeds
// the tables named here, and its group decides which sync message carries it (the scheduled run sends one message
// per group, so a slow workout back-fill never holds up the band data). Everything else (the CLI's --streams
// check, the status table, the dispatcher's messages, the webhook's mapping, replay, chaos) reads this object, and
// test/core/streams-listed-once.test.ts fails when a list of stream names appears anywhere else. Adding a stream
// is an entry here, its table in schema-registry.ts, and its fetch and decoder in a source's folder
// (docs/decisions/0015-streams-and-sources-listed-once.md).

import type { TableName } from './schema-registry.ts';

export type StreamGroup = 'band' | 'workouts' | 'events';

interface StreamDef {
  group: StreamGroup;
  tables: readonly TableName[];
}

export const STREAM_DEFS = {
  band: { group: 'band', tables: ['activity_minute', 'daily_summary', 'sleep_session', 'sleep_stage'] },
  workouts: { group: 'workouts', tables: ['workout', 'workout_sample', 'workout_pause', 'workout_lap'] },
  stress: { group: 'events', tables: ['stress'] },
  spo2: { group: 'events', tables: ['spo2'] },
  pai: { group: 'events', tables: ['pai'] },
  readiness: { group: 'events', tables: ['readiness'] },
} as const satisfies Record<string, StreamDef>;

export type StreamName = keyof typeof STREAM_DEFS;

/** Every stream, in the registry's order (band first: its daily summaries give the zone that places the rest). */
export const STREAMS = Object.keys(STREAM_DEFS) as readonly StreamName[] as readonly [StreamName, ...StreamName[]];

export const STREAM_TABLES: Readonly<Record<StreamName, readonly TableName[]>> = Object.fromEntries(
  STREAMS.map((s): [StreamName, readonly TableName[]] => [s, STREAM_DEFS[s].tables]),
) as Record<StreamName, readonly TableName[]>;

/** The streams fetched by date window (all but workouts, which are listed by trackid). */
export const WINDOWED_STREAMS = STREAMS.filter((s) => s !== 'workouts') as readonly Exclude<StreamName, 'workouts'>[];

/** The stream groups, each with its streams in registry order. */
export const STREAM_GROUPS: Readonly<Record<StreamGroup, readonly StreamName[]>> = {
  band: STREAMS.filter((s) => STREAM_DEFS[s].group === 'band'),
  workouts: STREAMS.filter((s) => STREAM_DEFS[s].group === 'workouts'),
  events: STREAMS.filter((s) => STREAM_DEFS[s].group === 'events'),
};

export function isStreamName(s: unknown): s is StreamName {
  return typeof s === 'string' && Object.hasOwn(STREAM_DEFS, s);
}

/** The stream that feeds a table. */
export function streamOfTable(table: TableName): StreamName | undefined {
  return STREAMS.find((s) => STREAM_TABLES[s].includes(table));
}
