// A workout as GPX 1.1 (https://www.topografix.com/GPX/1/1/): one <trk> of the workout's GPS positions, with
// elevation, time and heart rate (Garmin TrackPointExtension v1, which Strava, Garmin Connect and most GPX
// readers understand).
//
// The input is the lake's own rows: `workout` and `workout_sample` (lambdas/core/schema-registry.ts), timestamps in
// epoch milliseconds. `workout_sample` has one row per second that any series touched, so a row may hold a
// position and no heart rate (HR sampled in another second) or a heart rate and no position. Only rows with both
// lat and lon become track points; each point takes the heart rate of its own row, else of the nearest row with
// a heart rate within `hrWindowS` seconds (earlier wins a tie), else none. Sentinels were made null by the
// decoders, so null here always means "not measured" and is left out, never written as 0.

export const GPX_NAMESPACE = 'http://www.topografix.com/GPX/1/1';
export const TRACKPOINT_EXTENSION_NAMESPACE = 'http://www.garmin.com/xmlschemas/TrackPointExtension/v1';

/** The `workout` columns the GPX uses (registry names; `start_ts` in epoch ms). */
export interface GpxWorkout {
  user_id: string;
  trackid: number;
  start_ts: number;
  workout_type?: number | null;
  workout_type_name?: string | null;
}

/** The `workout_sample` columns the GPX uses (registry names; `ts` in epoch ms). */
export interface GpxSample {
  ts: number;
  lat: number | null;
  lon: number | null;
  altitude_m: number | null;
  heart_rate: number | null;
}

export interface GpxOptions {
  /** How far (seconds) a position looks for a heart rate sampled in another second; default 5. */
  hrWindowS?: number;
  /** Track name; default `<type name> <start, UTC>`. */
  name?: string;
}

export interface TrackPoint {
  ts: number;
  lat: number;
  lon: number;
  ele: number | null;
  hr: number | null;
}

export const DEFAULT_HR_WINDOW_S = 5;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** GPX's latitudeType is [-90, 90] and longitudeType [-180, 180): a position outside them is not a point. */
function validPosition(lat: unknown, lon: unknown): boolean {
  return isNumber(lat) && isNumber(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon < 180;
}

/** TrackPointExtension's BeatsPerMinute_t is an unsignedByte >= 1. */
function validHr(hr: unknown): hr is number {
  return isNumber(hr) && Math.round(hr) >= 1 && Math.round(hr) <= 255;
}

/** The workout's track points in time order, each with the heart rate joined from the samples around it. */
export function trackPoints(samples: readonly GpxSample[], opts: GpxOptions = {}): TrackPoint[] {
  const windowMs = (opts.hrWindowS ?? DEFAULT_HR_WINDOW_S) * 1000;
  const sorted = [...samples].filter((s) => isNumber(s.ts)).sort((a, b) => a.ts - b.ts);
  const hrs = sorted.filter((s) => validHr(s.heart_rate)) as (GpxSample & { heart_rate: number })[];
  const points: TrackPoint[] = [];
  let next = 0; // first HR sample at or after the current point (both lists are in time order)
  for (const s of sorted) {
    if (!validPosition(s.lat, s.lon)) continue;
    while (next < hrs.length && (hrs[next]?.ts ?? Number.POSITIVE_INFINITY) < s.ts) next++;
    let hr: number | null = validHr(s.heart_rate) ? s.heart_rate : null;
    if (hr === null) {
      const before = hrs[next - 1];
      const after = hrs[next];
      const dBefore = before ? s.ts - before.ts : Number.POSITIVE_INFINITY;
      const dAfter = after ? after.ts - s.ts : Number.POSITIVE_INFINITY;
      const nearest = dBefore <= dAfter ? before : after;
      if (nearest && Math.min(dBefore, dAfter) <= windowMs) hr = nearest.heart_rate;
    }
    points.push({
      ts: s.ts,
      lat: s.lat as number,
      lon: s.lon as number,
      ele: isNumber(s.altitude_m) ? s.altitude_m : null,
      hr: hr === null ? null : Math.round(hr),
    });
  }
  return points;
}

/** Whether a code point is a character XML 1.0 can hold (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F are not). */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** XML 1.0 text or attribute value: the five entities escaped, characters XML cannot hold dropped. */
export function escapeXml(text: string): string {
  let out = '';
  // for..of walks code points: a surrogate pair is one character, a lone surrogate stays alone (and is dropped).
  for (const ch of text) {
    if (!isXmlChar(ch.codePointAt(0) ?? 0)) continue;
    out +=
      ch === '&'
        ? '&amp;'
        : ch === '<'
          ? '&lt;'
          : ch === '>'
            ? '&gt;'
            : ch === '"'
              ? '&quot;'
              : ch === "'"
                ? '&apos;'
                : ch;
  }
  return out;
}

/**
 * A number as xsd:decimal (no exponent, no trailing zeros) with at most `digits` decimals: 7 for degrees
 * (about 1 cm), 2 for metres. toFixed never uses an exponent below 1e21, far beyond any coordinate or altitude.
 */
export function decimal(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  const trimmed = fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** ISO-8601 UTC with a Z; whole seconds without the `.000`. */
export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

export function workoutTypeName(workout: GpxWorkout): string {
  if (workout.workout_type_name) return workout.workout_type_name;
  return isNumber(workout.workout_type) ? `type_${workout.workout_type}` : 'workout';
}

/** The GPX 1.1 document of one workout; `samples` are its `workout_sample` rows in any order. */
export function workoutToGpx(workout: GpxWorkout, samples: readonly GpxSample[], opts: GpxOptions = {}): string {
  const type = workoutTypeName(workout);
  const start = isoUtc(workout.start_ts);
  const name = opts.name ?? `${type} ${start.slice(0, 16).replace('T', ' ')} UTC`;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<gpx xmlns="${GPX_NAMESPACE}" xmlns:gpxtpx="${TRACKPOINT_EXTENSION_NAMESPACE}" ` +
      `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
      `xsi:schemaLocation="${GPX_NAMESPACE} http://www.topografix.com/GPX/1/1/gpx.xsd ` +
      `${TRACKPOINT_EXTENSION_NAMESPACE} http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd" ` +
      'version="1.1" creator="zepp-lake">',
    '  <metadata>',
    `    <name>${escapeXml(name)}</name>`,
    `    <time>${start}</time>`,
    '  </metadata>',
    '  <trk>',
    `    <name>${escapeXml(name)}</name>`,
    `    <src>${escapeXml(`zepp-lake user ${workout.user_id} trackid ${workout.trackid}`)}</src>`,
    `    <type>${escapeXml(type)}</type>`,
    '    <trkseg>',
  ];
  for (const p of trackPoints(samples, opts)) {
    out.push(`      <trkpt lat="${decimal(p.lat, 7)}" lon="${decimal(p.lon, 7)}">`);
    if (p.ele !== null) out.push(`        <ele>${decimal(p.ele, 2)}</ele>`);
    out.push(`        <time>${isoUtc(p.ts)}</time>`);
    if (p.hr !== null) {
      out.push(
        '        <extensions>',
        `          <gpxtpx:TrackPointExtension><gpxtpx:hr>${p.hr}</gpxtpx:hr></gpxtpx:TrackPointExtension>`,
        '        </extensions>',
      );
    }
    out.push('      </trkpt>');
  }
  out.push('    </trkseg>', '  </trk>', '</gpx>', '');
  return out.join('\n');
}

/** `<user>_<local date>_<trackid>.gpx`, with anything but letters, digits, `.`, `_` and `-` made `_`. */
export function gpxFileName(userId: string, localDate: string, trackid: number | string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(userId)}_${safe(localDate)}_${safe(String(trackid))}.gpx`;
}
