// What the huami-open source writes to raw/, by endpoint: the stream each feeds. The source's `streams` and the
// replay's reading of stored responses both come from here. What the official API does not have stays out: it
// documents no SpO2 or readiness resource, so those streams are not synced from it.

import type { EndpointRole } from '../source.ts';

export const HUAMI_OPEN_RAW_ENDPOINTS: Readonly<Record<string, EndpointRole>> = {
  activities: { stream: 'band' },
  sleep: { stream: 'band' },
  'sleep-hourly': { stream: 'band' },
  minutes: { stream: 'band' },
  'events/all_day_stress': { stream: 'stress' },
  PaiSummary: { stream: 'pai' },
  // Written by earlier versions, which asked the events resource for PAI; still read by a replay.
  'events/PaiHealthInfo': { stream: 'pai' },
  sports: { stream: 'workouts' },
  sportDetail: { stream: 'workouts', detail: true },
};
