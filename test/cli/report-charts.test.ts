import { describe, expect, it } from 'vitest';
import { coverageCalendar } from '../../lambdas/cli/report-coverage-chart.ts';
import { barChart, lineChart, stackedBarChart } from '../../lambdas/cli/report-daily-charts.ts';
import { clockTime, SLEEP_AXIS_MINUTES, sleepNights } from '../../lambdas/cli/report-sleep-chart.ts';
import { COVERAGE_COLORS, escapeHtml, niceTicks } from '../../lambdas/cli/report-svg.ts';
import { projectTrack, thinPoints, trackPlot, zoneBar } from '../../lambdas/cli/report-workout-charts.ts';

/** The attributes of every element `<tag ...>` in the markup whose attributes match `filter`. */
function elements(svg: string, tag: string, filter: RegExp = /./): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))) {
    const attrs = m[1] ?? '';
    if (!filter.test(attrs)) continue;
    out.push(Object.fromEntries([...attrs.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
  }
  return out;
}

const RANGE = { from: '2026-03-01', to: '2026-03-31' };
const HOSTILE = `<script>alert("x")</script> & 'quoted'`;

describe('escapeHtml', () => {
  it('escapes the five markup characters and turns null into nothing', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('keeps text that reaches a chart (labels, titles, names) from becoming markup', () => {
    const charts = [
      barChart([{ date: '2026-03-02', value: 5, title: HOSTILE }], { range: RANGE, label: HOSTILE, yLabel: HOSTILE }),
      lineChart([{ name: HOSTILE, color: '#000', points: [{ date: '2026-03-02', value: 60 }] }], {
        range: RANGE,
        label: HOSTILE,
        yLabel: 'bpm',
      }),
      sleepNights([{ night: HOSTILE, segments: [{ stage: HOSTILE, startMin: 300, endMin: 400 }] }], { label: HOSTILE }),
      trackPlot([], { label: HOSTILE }),
      coverageCalendar([{ date: '2026-03-02', status: 'failed', detail: HOSTILE }], { range: RANGE, label: HOSTILE }),
      barChart([], { range: RANGE, label: HOSTILE, yLabel: 'steps' }),
    ];
    for (const svg of charts) {
      expect(svg).not.toContain('<script');
      expect(svg).not.toContain(`"x"`);
      expect(svg).toContain('&lt;script&gt;');
    }
  });
});

describe('niceTicks', () => {
  it('covers the range with round steps starting at or below the minimum', () => {
    expect(niceTicks(0, 17_000)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(niceTicks(45, 175)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(52, 64)).toEqual([50, 55, 60, 65]);
    expect(niceTicks(3, 3).length).toBeGreaterThan(1);
  });
});

describe('barChart', () => {
  it('draws one bar per day with a value, placed by date, with the tallest bar reaching its value', () => {
    const svg = barChart(
      [
        { date: '2026-03-01', value: 1000 },
        { date: '2026-03-02', value: null },
        { date: '2026-03-31', value: 10_000 },
        { date: '2026-04-01', value: 99_999 },
      ],
      { range: RANGE, label: 'steps', yLabel: 'steps per day', width: 676 },
    );
    const bars = elements(svg, 'rect', /class="bar"/);
    expect(bars).toHaveLength(2);
    const [first, last] = bars;
    expect(Number(first?.x)).toBeLessThan(Number(last?.x));
    // 31 days over 676 - 56 - 12 = 608 units: the last day's slot starts at 56 + 30 * 608 / 31.
    expect(Number(last?.x)).toBeCloseTo(56 + (30 * 608) / 31 + ((608 / 31) * 0.2) / 2, 0);
    expect(Number(last?.height)).toBeCloseTo(Number(first?.height) * 10, 0);
    expect(svg).toContain('steps per day');
  });

  it('says there is no data instead of drawing an empty frame', () => {
    const svg = barChart([], { range: RANGE, label: 'steps', yLabel: 'steps per day' });
    expect(svg).toContain('No data in this period');
    expect(elements(svg, 'rect', /class="bar"/)).toHaveLength(0);
  });
});

describe('stackedBarChart', () => {
  it('stacks the parts of a day into one bar whose parts add up', () => {
    const svg = stackedBarChart([{ date: '2026-03-05', parts: [1, 2, null, 1] }], {
      range: RANGE,
      label: 'sleep',
      yLabel: 'sleep, hours',
      keys: [
        { name: 'deep', color: '#111111' },
        { name: 'light', color: '#222222' },
        { name: 'REM', color: '#333333' },
        { name: 'awake', color: '#444444' },
      ],
    });
    expect(svg.match(/<g class="bar">/g)).toHaveLength(1);
    const rects = elements(svg, 'rect', /fill="#(111111|222222|444444)"/).filter((r) => r.width !== '14');
    expect(rects.map((r) => r.fill)).toEqual(['#111111', '#222222', '#444444']);
    expect(Number(rects[1]?.height)).toBeCloseTo(2 * Number(rects[0]?.height), 0);
  });
});

describe('lineChart', () => {
  it('breaks a line at a missing value and names every series in the legend', () => {
    const svg = lineChart(
      [
        {
          name: 'resting HR',
          color: '#0f766e',
          points: [
            { date: '2026-03-02', value: 55 },
            { date: '2026-03-09', value: 56 },
            { date: '2026-03-16', value: null },
            { date: '2026-03-23', value: 54 },
          ],
        },
        { name: 'max HR', color: '#dc2626', points: [{ date: '2026-03-02', value: 170 }] },
      ],
      { range: RANGE, label: 'hr', yLabel: 'heart rate, bpm' },
    );
    const [resting] = elements(svg, 'path', /stroke="#0f766e"/);
    expect(resting?.d?.match(/M/g)).toHaveLength(2);
    expect(resting?.d?.match(/L/g)).toHaveLength(1);
    expect(svg).toContain('>resting HR<');
    expect(svg).toContain('>max HR<');
    expect(elements(svg, 'circle')).toHaveLength(4);
  });
});

describe('sleepNights', () => {
  const width = 960;
  const left = 104;
  const plot = width - left - 22;
  const at = (min: number) => left + (min / SLEEP_AXIS_MINUTES) * plot;

  it('draws a night that crosses midnight as one span from its start to its end on the 18:00 -> 12:00 axis', () => {
    // 22:30 on 1 March to 06:45 on 2 March: minutes 270 .. 765 after 18:00.
    const svg = sleepNights(
      [
        {
          night: '2026-03-01',
          segments: [
            { stage: 'light', startMin: 270, endMin: 330 },
            { stage: 'deep', startMin: 330, endMin: 420 },
            { stage: 'rem', startMin: 420, endMin: 700 },
            { stage: 'awake', startMin: 700, endMin: 710 },
            { stage: 'light', startMin: 710, endMin: 765 },
          ],
        },
      ],
      { label: 'stages', width },
    );
    const spans = elements(svg, 'rect', /class="night-span"/);
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span?.['data-night']).toBe('2026-03-01');
    expect(Number(span?.x)).toBeCloseTo(at(270), 0);
    expect(Number(span?.width)).toBeCloseTo(at(765) - at(270), 0);
    // The segment across midnight (minute 360) is one rect, not split at the date change.
    const stages = elements(svg, 'rect', /class="stage"/);
    expect(stages).toHaveLength(5);
    const deep = stages.find((s) => s['data-stage'] === 'deep');
    expect(Number(deep?.x)).toBeCloseTo(at(330), 0);
    expect(Number(deep?.width)).toBeCloseTo(at(420) - at(330), 0);
    expect(svg).toContain('night of 2026-03-01: 22:30 to 06:45');
    expect(svg).toContain('>00:00<');
    expect(svg).toContain('>12:00<');
  });

  it('gives each night its own row, in the order given, and skips nights without segments', () => {
    const svg = sleepNights(
      [
        { night: '2026-03-01', segments: [{ stage: 'light', startMin: 300, endMin: 800 }] },
        { night: '2026-03-02', segments: [] },
        { night: '2026-03-03', segments: [{ stage: 'deep', startMin: 200, endMin: 700 }] },
      ],
      { label: 'stages' },
    );
    const spans = elements(svg, 'rect', /class="night-span"/);
    expect(spans.map((s) => s['data-night'])).toEqual(['2026-03-01', '2026-03-03']);
    expect(Number(spans[1]?.y)).toBeGreaterThan(Number(spans[0]?.y));
  });

  it('clips a segment outside the axis to its edge', () => {
    const svg = sleepNights([{ night: '2026-03-01', segments: [{ stage: 'light', startMin: -30, endMin: 1200 }] }], {
      label: 'stages',
      width,
    });
    const [span] = elements(svg, 'rect', /class="night-span"/);
    expect(Number(span?.x)).toBeCloseTo(left, 0);
    expect(Number(span?.width)).toBeCloseTo(plot, 0);
  });

  it('says so when there are no stages', () => {
    expect(sleepNights([], { label: 'stages' })).toContain('No sleep stages in this period');
  });

  it('reads positions on the axis as local clock times', () => {
    expect(clockTime(0)).toBe('18:00');
    expect(clockTime(359)).toBe('23:59');
    expect(clockTime(360)).toBe('00:00');
    expect(clockTime(765)).toBe('06:45');
    expect(clockTime(-30)).toBe('17:30');
  });
});

describe('projectTrack and trackPlot', () => {
  it('keeps north up and east right, and fits the longer side to the box', () => {
    const { points } = projectTrack(
      [
        { lat: 52.5, lon: 13.4 },
        { lat: 52.51, lon: 13.4 },
      ],
      200,
      100,
      10,
    );
    const [south, north] = points;
    expect(north?.y).toBeLessThan(south?.y ?? 0);
    expect(north?.x).toBeCloseTo(south?.x ?? 0, 6);
    expect((south?.y ?? 0) - (north?.y ?? 0)).toBeCloseTo(80, 6);
    expect(north?.x).toBeCloseTo(100, 6);
  });

  it('shrinks longitude by the cosine of the latitude, so a square on the ground stays square', () => {
    // At 60 degrees north a degree of longitude is half as long as a degree of latitude.
    const { points, metresPerUnit } = projectTrack(
      [
        { lat: 60, lon: 10 },
        { lat: 60, lon: 10.02 },
        { lat: 60.01, lon: 10.02 },
      ],
      300,
      300,
      0,
    );
    const [a, b, c] = points;
    const east = (b?.x ?? 0) - (a?.x ?? 0);
    const north = (b?.y ?? 0) - (c?.y ?? 0);
    expect(east / north).toBeCloseTo(Math.cos((60.00333 * Math.PI) / 180) * 2, 3);
    expect(metresPerUnit).toBeGreaterThan(0);
    expect(metresPerUnit * north).toBeCloseTo(1113.2, 0);
  });

  it('puts a single position in the middle instead of dividing by zero', () => {
    expect(projectTrack([{ lat: 1, lon: 2 }], 100, 50).points).toEqual([{ x: 50, y: 25 }]);
    expect(projectTrack([], 100, 50).points).toEqual([]);
  });

  it('draws the track as one polyline of at most maxPoints points with start and end marks', () => {
    const track = Array.from({ length: 2000 }, (_, i) => ({
      lat: 52.5 + i * 1e-5,
      lon: 13.4 + Math.sin(i / 100) * 1e-3,
    }));
    const svg = trackPlot(track, { label: 'run', maxPoints: 500 });
    const [line] = elements(svg, 'polyline', /class="track-line"/);
    const points = line?.points?.split(' ') ?? [];
    expect(points.length).toBeLessThanOrEqual(500);
    expect(points.length).toBeGreaterThan(400);
    expect(svg).toContain('<title>start</title>');
    expect(svg).toContain('<title>end</title>');
    expect(svg).toMatch(/\d+(\.\d+)? (m|km)</);
    expect(trackPlot([{ lat: 1, lon: 1 }], { label: 'swim' })).toContain('No GPS track');
  });

  it('thins to every k-th point and keeps the last', () => {
    const thinned = thinPoints(
      Array.from({ length: 1001 }, (_, i) => i),
      500,
    );
    expect(thinned.length).toBeLessThanOrEqual(500);
    expect(thinned[0]).toBe(0);
    expect(thinned[thinned.length - 1]).toBe(1000);
    expect(thinPoints([1, 2, 3], 500)).toEqual([1, 2, 3]);
  });
});

describe('coverageCalendar', () => {
  it('has one cell per day of the range, coloured by status, and days without a row are not asked', () => {
    const svg = coverageCalendar(
      [
        { date: '2026-03-01', status: 'written' },
        { date: '2026-03-02', status: 'empty' },
        { date: '2026-03-03', status: 'failed', detail: 'band:failed' },
        { date: '2026-03-04', status: 'auth_failed' },
        { date: '2026-04-04', status: 'written' },
      ],
      { range: RANGE, label: 'coverage' },
    );
    const cells = elements(svg, 'rect', /class="cal-day"/);
    expect(cells).toHaveLength(31);
    expect(cells.slice(0, 5).map((c) => c['data-status'])).toEqual([
      'written',
      'empty',
      'failed',
      'auth_failed',
      'not_asked',
    ]);
    expect(cells.filter((c) => c['data-status'] === 'not_asked')).toHaveLength(27);
    expect(cells[2]?.fill).toBe(COVERAGE_COLORS.failed);
    expect(svg).toContain('2026-03-03: failed (band:failed)');
    // 1 March 2026 is a Sunday: the last row of the first week; 2 March starts the next column.
    expect(Number(cells[0]?.y)).toBeGreaterThan(Number(cells[1]?.y));
    expect(Number(cells[1]?.x)).toBeGreaterThan(Number(cells[0]?.x));
    for (const name of ['written', 'empty (API had nothing)', 'failed', 'auth failed', 'not asked']) {
      expect(svg).toContain(`>${name}<`);
    }
  });
});

describe('zoneBar', () => {
  it('splits its width by the seconds in each zone, and is empty without heart rate', () => {
    const svg = zoneBar([0, 60, 60, 120, 0, 0], 120);
    const widths = elements(svg, 'rect').map((r) => Number(r.width));
    expect(widths).toEqual([30, 30, 60]);
    expect(zoneBar([0, 0, 0, 0, 0, 0])).toBe('');
  });
});
