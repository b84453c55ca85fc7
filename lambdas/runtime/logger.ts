// The one Powertools Logger of every zepp-lake function: structured JSON lines, `service` = zepp-lake, the level
// from LOG_LEVEL. Per-request context goes in with `logger.appendKeys({ userId, stream })`; messages are constant
// strings. Tokens never reach it: the engine and the adapters hand over ids, counts and redacted error texts only.

import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from '../core/metric-names.ts';
import type { EngineDeps } from '../engine/sync-engine.ts';

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** The engine's log sink, writing through the shared logger. */
export const engineLog: NonNullable<EngineDeps['log']> = (level, message, data) => {
  if (data) logger[level](message, data);
  else logger[level](message);
};
