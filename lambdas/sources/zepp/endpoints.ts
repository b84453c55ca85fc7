// What the Zepp source writes to raw/, by endpoint: the stream each feeds. The source's `streams` and the replay's
// reading of stored responses both come from here, so a stream this source fetches is named in this file once.

import type { StreamName } from '../../core/streams.ts';
import type { EndpointRole } from '../source.ts';

/** The event type the API names each event stream by (`GET /v2/users/<id>/events?eventType=...`). */
export const ZEPP_EVENT_TYPES: Readonly<Partial<Record<StreamName, string>>> = {
  stress: 'all_day_stress',
  spo2: 'blood_oxygen',
  pai: 'PaiHealthInfo',
  readiness: 'readiness',
};

export const ZEPP_ENDPOINTS: Readonly<Record<string, EndpointRole>> = {
  band_data: { stream: 'band' },
  workout_history: { stream: 'workouts' },
  workout_detail: { stream: 'workouts', detail: true },
  ...Object.fromEntries(
    Object.entries(ZEPP_EVENT_TYPES).map(([stream, type]) => [`events/${type}`, { stream: stream as StreamName }]),
  ),
};
