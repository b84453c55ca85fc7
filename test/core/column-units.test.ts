// Every number in the lake has a unit (or says it is a code, a score or a count), so the MCP server's table
// descriptions never leave an assistant guessing whether a distance is in metres or kilometres.

import { describe, expect, it } from 'vitest';
import { unitOf } from '../../lambdas/core/column-units.ts';
import { namedQueryBody, readNamedQueryHeaders } from '../../lambdas/core/named-query-headers.ts';
import { TABLE_NAMES, TABLES } from '../../lambdas/core/schema-registry.ts';

describe('unitOf', () => {
  it('gives every numeric, date and time column of the registry a unit', () => {
    const missing = TABLE_NAMES.flatMap((t) =>
      TABLES[t].columns
        .filter((c) => !['string', 'boolean'].includes(c.type) && unitOf(c) === '')
        .map((c) => `${t}.${c.name}`),
    );
    expect(missing).toEqual([]);
  });

  it.each([
    ['workout', 'distance_m', 'm'],
    ['workout', 'duration_s', 's'],
    ['workout', 'avg_pace_s_per_m', 's/m'],
    ['workout', 'calories', 'kcal'],
    ['workout', 'avg_hr', 'bpm'],
    ['workout_sample', 'speed', 'm/s'],
    ['workout_sample', 'heart_rate', 'bpm'],
    ['workout_sample', 'lat', 'degrees'],
    ['sleep_session', 'deep_min', 'min'],
    ['sleep_session', 'resting_hr', 'bpm'],
    ['stress', 'relax_pct', '%'],
    ['readiness', 'hrv_ms', 'ms'],
    ['spo2', 'odi', 'events/h'],
    ['daily_summary', 'local_date', 'local date'],
    ['activity_minute', 'ts', 'UTC'],
    ['activity_minute', 'activity_kind', 'code'],
  ] as const)('%s.%s is in %s', (table, column, unit) => {
    const def = TABLES[table].columns.find((c) => c.name === column)!;
    expect(unitOf(def)).toBe(unit);
  });

  it('gives text no unit', () => {
    expect(unitOf({ name: 'distance_m', type: 'string' })).toBe('');
  });
});

describe('named query headers', () => {
  const text = '-- name: weekly\n-- description: one row per week,\n--   per person\n-- note: x\nSELECT 1\n-- tail\n';

  it('reads the header block, with continued lines', () => {
    expect(readNamedQueryHeaders(text)).toEqual({
      name: 'weekly',
      description: 'one row per week, per person',
      note: 'x',
    });
  });

  it('gives the SQL below the header, comments further down kept', () => {
    expect(namedQueryBody(text)).toBe('SELECT 1\n-- tail');
    expect(namedQueryBody('-- only a header')).toBe('');
  });
});
