// GPX of a workout: valid GPX 1.1 with Garmin TrackPointExtension v1 (checked by xmllint-wasm against the GPX 1.1
// schema and our schema of the extension, test/fixtures/xsd/), points only where there is a position, heart rate joined by time, XML escaped, numbers as decimals.

import { describe, expect, it } from 'vitest';
import {
  decimal,
  escapeXml,
  type GpxSample,
  type GpxWorkout,
  gpxFileName,
  trackPoints,
  workoutToGpx,
} from '../../lambdas/core/gpx.ts';
import { GPX_ONLY_XSD, GPX_WITH_EXTENSIONS_XSD, xmllint } from '../support/xmllint.ts';

const T0 = Date.parse('2026-10-01T06:30:00Z');
const workout: GpxWorkout = {
  user_id: '1000000002',
  trackid: T0 / 1000,
  start_ts: T0,
  workout_type: 1,
  workout_type_name: 'Outdoor running',
};

const sample = (s: number, fields: Partial<GpxSample>): GpxSample => ({
  ts: T0 + s * 1000,
  lat: null,
  lon: null,
  altitude_m: null,
  heart_rate: null,
  ...fields,
});

const valid = (xml: string) => xmllint(GPX_WITH_EXTENSIONS_XSD, xml);

describe('trackPoints', () => {
  it('makes a point only of rows with both lat and lon, in time order', () => {
    const points = trackPoints([
      sample(8, { lat: 41.2, lon: -87.1 }),
      sample(1, { lat: 41.1, lon: -87.0, altitude_m: 180.5 }),
      sample(2, { heart_rate: 120 }),
      sample(4, { lat: 41.15, lon: null }),
      sample(5, { lat: null, lon: -87.05 }),
    ]);
    expect(points.map((p) => p.ts)).toEqual([T0 + 1000, T0 + 8000]);
    expect(points[0]).toMatchObject({ lat: 41.1, lon: -87.0, ele: 180.5 });
    expect(points[1]?.ele).toBeNull();
  });

  it("takes a point's own heart rate, else the nearest within the window (earlier wins a tie), else none", () => {
    const points = trackPoints(
      [
        sample(0, { heart_rate: 100 }),
        sample(10, { lat: 1, lon: 1, heart_rate: 130 }), // own
        sample(13, { heart_rate: 111 }),
        sample(15, { lat: 1, lon: 1 }), // 13 is 2 s away, 17 is 2 s away: the earlier
        sample(17, { heart_rate: 140 }),
        sample(20, { lat: 1, lon: 1 }), // 17 is 3 s away
        sample(40, { lat: 1, lon: 1 }), // nothing within 5 s
        sample(50, { lat: 1, lon: 1 }),
        sample(54, { heart_rate: 150 }), // 4 s after the point at 50
      ],
      { hrWindowS: 5 },
    );
    expect(points.map((p) => p.hr)).toEqual([130, 111, 140, null, 150]);
  });

  it('leaves out heart rates a GPX cannot hold (below 1 or above 255) and rounds the rest', () => {
    const points = trackPoints([
      sample(0, { lat: 1, lon: 1, heart_rate: 0 }),
      sample(1, { lat: 1, lon: 1, heart_rate: 300 }),
      sample(2, { lat: 1, lon: 1, heart_rate: 99.6 }),
    ]);
    expect(points.map((p) => p.hr)).toEqual([100, 100, 100]);
    expect(trackPoints([sample(0, { lat: 1, lon: 1, heart_rate: 0 })]).map((p) => p.hr)).toEqual([null]);
  });

  it('drops positions outside GPX latitude [-90, 90] and longitude [-180, 180)', () => {
    const points = trackPoints([
      sample(0, { lat: 91, lon: 0 }),
      sample(1, { lat: 0, lon: 180 }),
      sample(2, { lat: -90, lon: -180 }),
      sample(3, { lat: Number.NaN, lon: 0 }),
    ]);
    expect(points.map((p) => [p.lat, p.lon])).toEqual([[-90, -180]]);
  });
});

describe('workoutToGpx', () => {
  const samples = [
    sample(1, { lat: 41.87811234567, lon: -87.62979987654, altitude_m: 181.23456, heart_rate: 121 }),
    sample(2, { heart_rate: 124 }),
    sample(5, { lat: 41.8782, lon: -87.6299 }),
    sample(9, { lat: 41.8783, lon: -87.63, altitude_m: 182 }),
  ];

  it('writes GPX 1.1 that validates against the GPX and TrackPointExtension schemas', async () => {
    const xml = workoutToGpx(workout, samples);
    const r = await valid(xml);
    expect(r.ok, r.output).toBe(true);
    expect(xml).toContain('xmlns="http://www.topografix.com/GPX/1/1"');
    expect(xml).toContain('creator="zepp-lake"');
    expect(xml).toContain('xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"');
  });

  it('has metadata and one track with name and type, and one point per position', () => {
    const xml = workoutToGpx(workout, samples);
    expect(xml).toContain('<time>2026-10-01T06:30:00Z</time>');
    expect(xml).toContain('<name>Outdoor running 2026-10-01 06:30 UTC</name>');
    expect(xml).toContain('<type>Outdoor running</type>');
    expect(xml.match(/<trk>/g)).toHaveLength(1);
    expect(xml.match(/<trkseg>/g)).toHaveLength(1);
    expect(xml.match(/<trkpt /g)).toHaveLength(3);
  });

  it('writes lat/lon with 7 decimals, ele only when known, times in UTC with Z, and hr from the nearest sample', () => {
    const xml = workoutToGpx(workout, samples);
    expect(xml).toContain('<trkpt lat="41.8781123" lon="-87.6297999">');
    expect(xml).toContain('<ele>181.23</ele>');
    expect(xml).toContain('<ele>182</ele>');
    expect(xml.match(/<ele>/g)).toHaveLength(2);
    const times = [...xml.matchAll(/<trkpt[\s\S]*?<time>([^<]+)<\/time>/g)].map((m) => m[1]);
    expect(times).toEqual(['2026-10-01T06:30:01Z', '2026-10-01T06:30:05Z', '2026-10-01T06:30:09Z']);
    const hrs = [...xml.matchAll(/<gpxtpx:hr>(\d+)<\/gpxtpx:hr>/g)].map((m) => Number(m[1]));
    // 1 s: its own 121; 5 s: 124 from 2 s (3 s away); 9 s: 7 s from the nearest HR, none.
    expect(hrs).toEqual([121, 124]);
    expect(xml.match(/<extensions>/g)).toHaveLength(2);
  });

  it('escapes names and drops characters XML cannot hold', async () => {
    const name = `Tom's <run> & "fun"\u0001\uFFFE \u{1F3C3}`;
    const xml = workoutToGpx({ ...workout, workout_type_name: name }, samples);
    expect(xml).toContain('<type>Tom&apos;s &lt;run&gt; &amp; &quot;fun&quot; \u{1F3C3}</type>');
    const r = await valid(xml);
    expect(r.ok, r.output).toBe(true);
  });

  it('names an unknown type by its code and still validates with no points at all', async () => {
    const xml = workoutToGpx({ ...workout, workout_type_name: null, workout_type: 77 }, []);
    expect(xml).toContain('<type>type_77</type>');
    expect(xml).not.toContain('<trkpt');
    const r = await valid(xml);
    expect(r.ok, r.output).toBe(true);
  });
});

describe('the schema check itself', () => {
  const xml = workoutToGpx(workout, [sample(1, { lat: 1, lon: 2, heart_rate: 120 })]);

  it('fails an invalid heart rate inside TrackPointExtension', async () => {
    const bad = xml.replace('<gpxtpx:hr>120</gpxtpx:hr>', '<gpxtpx:hr>0</gpxtpx:hr>');
    const r = await valid(bad);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/hr.*minInclusive|less than the minimum/);
    expect((await valid(xml.replace('<gpxtpx:hr>120', '<gpxtpx:hr>fast'))).ok).toBe(false);
    expect((await valid(xml.replace('<gpxtpx:hr>120', '<gpxtpx:hr>300'))).ok).toBe(false);
  });

  it('fails TrackPointExtension elements out of their order', async () => {
    const bad = xml.replace('<gpxtpx:hr>120</gpxtpx:hr>', '<gpxtpx:hr>120</gpxtpx:hr><gpxtpx:atemp>20</gpxtpx:atemp>');
    expect((await valid(bad)).ok).toBe(false);
    const good = xml.replace('<gpxtpx:hr>120</gpxtpx:hr>', '<gpxtpx:atemp>20</gpxtpx:atemp><gpxtpx:hr>120</gpxtpx:hr>');
    const r = await valid(good);
    expect(r.ok, r.output).toBe(true);
  });

  it('fails an element TrackPointExtension does not declare', async () => {
    const bad = xml.replace('</gpxtpx:hr>', '</gpxtpx:hr><gpxtpx:power>300</gpxtpx:power>');
    const r = await valid(bad);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('power');
  });

  it('is needed: GPX 1.1 alone skips the extension content (lax wildcard)', async () => {
    const bad = xml.replace('<gpxtpx:hr>120</gpxtpx:hr>', '<gpxtpx:hr>0</gpxtpx:hr>');
    expect((await xmllint(GPX_ONLY_XSD, bad)).ok).toBe(true);
  });

  it('fails a GPX 1.1 violation (a point without lat)', async () => {
    expect((await valid(xml.replace(/<trkpt lat="1" /, '<trkpt '))).ok).toBe(false);
  });

  it('fails XML that is not well-formed, naming the parser error', async () => {
    const r = await valid(xml.replace('</trkseg>', ''));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('parser error');
  });
});

describe('decimal, escapeXml and gpxFileName', () => {
  it('prints decimals without exponent, trailing zeros or negative zero', () => {
    expect(decimal(1e-8, 7)).toBe('0');
    expect(decimal(-1e-8, 7)).toBe('0');
    expect(decimal(52.52, 7)).toBe('52.52');
    expect(decimal(-87.62979987654, 7)).toBe('-87.6297999');
    expect(decimal(1500, 2)).toBe('1500');
  });

  it('escapes the five XML entities', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(escapeXml('tab\tnl\ncr\r')).toBe('tab\tnl\ncr\r');
    expect(escapeXml('lone \ud800 surrogate')).toBe('lone  surrogate');
  });

  it('names files <user>_<date>_<trackid>.gpx with only safe characters', () => {
    expect(gpxFileName('1000000002', '2026-10-01', 1790836200)).toBe('1000000002_2026-10-01_1790836200.gpx');
    expect(gpxFileName('../etc/x y', '2026-10-01', 1)).toBe('.._etc_x_y_2026-10-01_1.gpx');
  });
});
