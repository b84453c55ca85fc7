// The default people of the Zepp app API simulator (see sim/README.md, "Demo users"), each built around `today`.

import { addDays } from '../../lambdas/core/time.ts';
import type { SimUserSpec, TzChange } from './spec.ts';

/** Last Sunday of a month (1-12) of a year, as YYYY-MM-DD. */
function lastSunday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  last.setUTCDate(last.getUTCDate() - last.getUTCDay());
  return last.toISOString().slice(0, 10);
}

/** Central European time: +1 h, +2 h from the last Sunday of March to the last Sunday of October. */
function europeanDst(firstYear: number, lastYear: number): TzChange[] {
  const out: TzChange[] = [{ from: `${firstYear - 1}-01-01`, offsetS: 3600 }];
  for (let y = firstYear; y <= lastYear; y++) {
    out.push({ from: lastSunday(y, 3), offsetS: 7200 }, { from: lastSunday(y, 10), offsetS: 3600 });
  }
  return out;
}

/** alice: 3 years + 45 days in Berlin (EU DST), a Mi Band 4 then a Bip 3 (540 days ago), > 450 workouts, a swim. */
function alice(today: string): SimUserSpec {
  const year = Number(today.slice(0, 4));
  const aliceFirst = addDays(today, -(3 * 365 + 45));
  const aliceSwitch = addDays(today, -540);
  return {
    name: 'alice',
    email: 'alice@example.com',
    password: 'alice-synthetic-pw',
    userId: '1000000001',
    region: 'eu-central-1',
    countryCode: 'DE',
    firstDate: aliceFirst,
    // Ten years on: the CLI builds its people around the day they were first logged in, and syncs them for years.
    tz: europeanDst(Number(aliceFirst.slice(0, 4)), year + 10),
    devices: [
      {
        from: aliceFirst,
        deviceId: 'DA932FFFFE8816E7',
        source: 24,
        name: 'Mi Smart Band 4',
        mac: 'C8:0F:10:2A:3B:4C',
        sn: '24123/00012345',
        trackSource: 'run.mifit.huami.com',
        bindDevice: '0:MILI:8',
        sendsDeviceId: false,
        reportsMaxHr: false,
        readiness: false,
      },
      {
        from: aliceSwitch,
        deviceId: 'B93A4C5D6E7F8091',
        source: 256,
        name: 'Amazfit Bip 3',
        mac: 'E1:22:33:44:55:66',
        sn: '2445B548008062',
        trackSource: 'run.411.huami.com',
        bindDevice: '256:BIP3:1',
        sendsDeviceId: true,
        reportsMaxHr: true,
        readiness: true,
      },
    ],
    workoutRate: 0.5,
    gapRate: 0.03,
    swimDates: [addDays(today, -20)],
    home: { lat: 52.520008, lon: 13.404954 },
  };
}

/** bob: 120 days at UTC-6 with a Helio Strap, pool swims 5 and 33 days ago. */
function bob(today: string): SimUserSpec {
  return {
    name: 'bob',
    email: 'bob@example.com',
    password: 'bob-synthetic-pw',
    userId: '1000000002',
    region: 'us-west-2',
    countryCode: 'US',
    firstDate: addDays(today, -120),
    tz: [{ from: addDays(today, -400), offsetS: -21600 }],
    devices: [
      {
        from: addDays(today, -120),
        deviceId: 'C1D2E3F405060708',
        source: 10289411,
        name: 'Amazfit Helio Strap',
        mac: 'D4:11:22:33:44:55',
        sn: '3301A000123456',
        trackSource: 'run.watch.huami.com',
        bindDevice: '10289411:HELIO:2',
        sendsDeviceId: true,
        reportsMaxHr: true,
        readiness: true,
      },
    ],
    workoutRate: 0.35,
    gapRate: 0.05,
    swimDates: [addDays(today, -5), addDays(today, -33)],
    home: { lat: 41.878113, lon: -87.629799 },
  };
}

/** chandra: 150 days at +5:30 with trips to New York and Tokyo, no-data days, `summary.tz` as a number. */
function chandra(today: string): SimUserSpec {
  return {
    name: 'chandra',
    email: 'chandra@example.com',
    password: 'chandra-synthetic-pw',
    userId: '1000000003',
    region: 'ap-southeast-1',
    countryCode: 'IN',
    firstDate: addDays(today, -150),
    tz: [
      { from: addDays(today, -400), offsetS: 19800 },
      { from: addDays(today, -70), offsetS: -14400 },
      { from: addDays(today, -60), offsetS: 19800 },
      { from: addDays(today, -30), offsetS: 32400 },
      { from: addDays(today, -23), offsetS: 19800 },
    ],
    devices: [
      {
        from: addDays(today, -150),
        deviceId: 'E5F6A7B8C9D0E1F2',
        source: 256,
        name: 'Amazfit Bip 3',
        mac: 'F0:99:88:77:66:55',
        sn: '2445B548001111',
        trackSource: 'run.411.huami.com',
        bindDevice: '256:BIP3:7',
        sendsDeviceId: false,
        reportsMaxHr: false,
        readiness: false,
      },
    ],
    workoutRate: 0.3,
    gapRate: 0.02,
    gapDates: [addDays(today, -45), addDays(today, -44), addDays(today, -43)],
    swimDates: [addDays(today, -12)],
    tzAsNumber: true,
    home: { lat: 12.971599, lon: 77.594566 },
  };
}

/**
 * The default people: alice (3+ years, DST, two devices, > 450 workouts), bob (negative offset, a few
 * months, a pool swim), chandra (+5:30 who travels to New York and Tokyo, gaps, summary.tz as a number).
 */
export function demoUsers(today: string = new Date().toISOString().slice(0, 10)): SimUserSpec[] {
  return [alice(today), bob(today), chandra(today)];
}
