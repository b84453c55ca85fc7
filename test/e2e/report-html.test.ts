// `zepp-lake report` end to end: a small simulated lake, the real command, and the page opened in headless
// Chromium (the binary inside the npm package @sparticuz/chromium, driven by playwright-core: test/support/chromium.ts).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAthenaSql } from '../../lambdas/cli/query-command.ts';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const BOB = '1000000002';
/** Days of history of the one simulated person. */
const HISTORY_DAYS = 45;

/** What the README promises the page shows per person (its "Known limits"), stated here, not read from the code. */
const LIMITS = { stageNights: 30, workoutsListed: 30, tracks: 6, trackPoints: 500 };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The little of the DOM the page checks use (the project compiles without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
  textContent: string | null;
  innerText: string;
}

async function count(lakeDir: string, sql: string): Promise<number> {
  const [row] = await runAthenaSql(lakeDir, sql);
  return Number(row?.n);
}

describe('zepp-lake report', () => {
  let sim: Simulator;
  let rt: Awaited<ReturnType<typeof tempRuntime>>;
  let browser: Browser;

  beforeAll(async () => {
    // One person with a few weeks: workouts with GPS, nights, a pool swim, a few empty days.
    const bob = demoUsers(TODAY).find((u) => u.userId === BOB)!;
    const spec = {
      ...bob,
      firstDate: addDays(TODAY, -HISTORY_DAYS),
      devices: bob.devices.map((d) => ({ ...d, from: addDays(TODAY, -HISTORY_DAYS) })),
    };
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
    const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
    expect(report?.errors).toEqual([]);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await rt?.cleanup();
  });

  it('writes one self-contained page that renders in Chromium with no error and no request but the file', async () => {
    const out = join(rt.lakeDir, '..', 'out', 'report.html');
    const run = await runCli(rt, ['report', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(out);

    const html = await readFile(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // Nothing to fetch: no remote reference at all, no script, no external stylesheet or image.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<img|<iframe|@import|url\(/i);
    for (const m of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^(#|data:)/);
    expect((await stat(out)).size).toBeLessThan(2_000_000);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(r.url()));
    try {
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });

      const seen = await page.evaluate(() => {
        const document = (globalThis as unknown as { document: PageElement & { body: PageElement } }).document;
        const boxes = [...document.querySelectorAll('svg.chart')].map((svg) => svg.getBoundingClientRect());
        const stepsChart = document.querySelector('svg.bar-chart');
        return {
          charts: boxes.length,
          emptyCharts: document.querySelectorAll('svg.chart.empty').length,
          zeroSized: boxes.filter((b) => b.width < 10 || b.height < 10).length,
          stepBars: stepsChart ? stepsChart.querySelectorAll('rect.bar').length : 0,
          sleepBars: document.querySelectorAll('svg.stacked-bar-chart g.bar').length,
          nightSpans: [...document.querySelectorAll('rect.night-span')].map((r) => r.getBoundingClientRect().width),
          tracks: [...document.querySelectorAll('polyline.track-line')].map((p) => ({
            points: (p.getAttribute('points') ?? '').split(' ').length,
            width: p.getBoundingClientRect().width,
            height: p.getBoundingClientRect().height,
          })),
          calendarDays: document.querySelectorAll('rect.cal-day').length,
          workoutRows: document.querySelectorAll('tr.workout').length,
          stats: Object.fromEntries(
            [...document.querySelectorAll('[data-stat]')].map((d) => [d.getAttribute('data-stat'), d.textContent]),
          ),
          users: [...document.querySelectorAll('section.user')].map((s) => s.getAttribute('data-user')),
          text: document.body.innerText,
        };
      });

      expect(consoleErrors).toEqual([]);
      expect(failed).toEqual([]);
      expect(requests).toEqual([pathToFileURL(out).href]);

      // What the page says matches the lake, counted by DuckDB.
      const lake = rt.lakeDir;
      const days = await count(lake, `SELECT count(*) AS n FROM zepp_lake.daily_summary WHERE steps IS NOT NULL`);
      const nights = await count(lake, `SELECT count(*) AS n FROM zepp_lake.sleep_session`);
      const workouts = await count(lake, `SELECT count(*) AS n FROM zepp_lake.workout`);
      const withGps = await count(
        lake,
        `SELECT count(DISTINCT trackid) AS n FROM zepp_lake.workout_sample WHERE lat IS NOT NULL`,
      );
      expect(days).toBeGreaterThan(HISTORY_DAYS / 2);
      expect(workouts).toBeGreaterThan(5);
      expect(seen.users).toEqual([BOB]);
      expect(seen.text).toContain(`User ${BOB}`);
      expect(seen.stats).toMatchObject({
        days: String(days),
        nights: String(nights),
        workouts: String(workouts),
        'failed-days': '0',
      });
      expect(seen.stepBars).toBe(days);
      expect(seen.sleepBars).toBe(nights);
      expect(seen.workoutRows).toBe(Math.min(workouts, LIMITS.workoutsListed));
      expect(seen.nightSpans.length).toBeGreaterThan(20);
      expect(seen.nightSpans.length).toBeLessThanOrEqual(LIMITS.stageNights);
      expect(seen.nightSpans.every((w) => w > 50)).toBe(true);
      expect(withGps).toBeGreaterThan(LIMITS.tracks); // so the limit is what the page is held to
      expect(seen.tracks).toHaveLength(LIMITS.tracks);
      for (const t of seen.tracks) {
        expect(t.points).toBeGreaterThan(10);
        expect(t.points).toBeLessThanOrEqual(LIMITS.trackPoints);
        expect(Math.max(t.width, t.height)).toBeGreaterThan(100);
      }
      // The history's days, and tomorrow: band data is asked for through the latest date begun anywhere (UTC+14),
      // which at 18:00 UTC has not begun for Bob and shows as an empty day until it has (README, Known limits).
      expect(seen.calendarDays).toBe(HISTORY_DAYS + 2);
      expect(seen.charts).toBeGreaterThan(6);
      expect(seen.emptyCharts).toBe(0);
      expect(seen.zeroSized).toBe(0);

      // A screenshot with content: a PNG of plausible size, and two charts that do not look alike.
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(shot.readUInt32BE(16)).toBe(1280);
      expect(shot.readUInt32BE(20)).toBeGreaterThan(2000);
      expect(shot.length).toBeGreaterThan(100_000);
      const steps = await page.locator('svg.bar-chart').first().screenshot();
      const calendar = await page.locator('svg.coverage-calendar').first().screenshot();
      const blank = await page.locator('header').screenshot({ omitBackground: false });
      expect(steps.length).toBeGreaterThan(5_000);
      expect(steps.equals(calendar)).toBe(false);
      expect(steps.equals(blank)).toBe(false);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('writes <lake>/report.html by default, and a page that says so for a user with no data', async () => {
    const run = await runCli(rt, ['report', '--user', 'nobody-1']);
    expect(run.code).toBe(0);
    const out = join(rt.lakeDir, 'report.html');
    expect(run.stdout.trim()).toBe(out);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('The lake has no data for user nobody-1.');
    expect(html).not.toContain('<section class="user"');
  }, 60_000);

  it('limits the page to the period asked for, and refuses a date that is not one', async () => {
    const from = addDays(TODAY, -13);
    const out = join(rt.lakeDir, 'two-weeks.html');
    const run = await runCli(rt, ['report', '--out', out, '--from', from, '--to', TODAY]);
    expect(run.code).toBe(0);
    const html = await readFile(out, 'utf8');
    const workouts = await count(
      rt.lakeDir,
      `SELECT count(*) AS n FROM zepp_lake.workout WHERE local_date BETWEEN DATE '${from}' AND DATE '${TODAY}'`,
    );
    expect(html).toContain(`<dd data-stat="workouts">${workouts}</dd>`);
    expect(html).toContain(`${from} → ${TODAY}`);
    expect(html.match(/class="cal-day"/g)).toHaveLength(14);

    const bad = await runCli(rt, ['report', '--out', out, '--from', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--from <date>' argument '2026-02-30' is invalid");
  }, 60_000);
});
