// The data endpoints of the huami-open simulator (`GET /users/-/...`, reference §2.4), with the field names of the
// official doc's examples. A `startDate..endDate` range is answered only up to the end of startDate's calendar
// month (the strictest reading of a doc that never promises a long range whole; see sim/README.md).

import { parseDate } from '../../lambdas/core/time.ts';
import { type Answer, answer, NOT_FOUND, type RequestNote } from './http.ts';
import { type DayModel, MINUTE_MS } from './model.ts';
import { encodeSportDetail } from './sport-detail.ts';
import type { HuamiOpenSimUser } from './types.ts';

/** What the data endpoints read: the person asking and their days. */
export interface DataSource {
  user: HuamiOpenSimUser;
  today: string;
  dayOf(user: HuamiOpenSimUser, date: string): DayModel | null;
  daysIn(user: HuamiOpenSimUser, from: string, to: string): DayModel[];
}

/** The last day of the calendar month of `date` (YYYY-MM-DD). */
function endOfMonth(date: string): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

const at = (day: DayModel, minute: number) => day.midnightMs + minute * MINUTE_MS;

function profile(user: HuamiOpenSimUser): Answer {
  return answer(200, {
    userId: user.userId,
    gender: 1,
    birthday: '1985-06',
    height: 175.0,
    weight: 72.5,
    nickName: `sim-${user.userId}`,
    avatar: 'https://example.invalid/avatar.png',
  });
}

function devices(src: DataSource): Answer {
  const user = src.user;
  return answer(200, {
    items: [
      {
        deviceType: 'WATCH',
        deviceName: user.device === 'mifit' ? 'BAND_2' : 'AMAZFIT_SPORTS_WATCH',
        deviceId: `88EB0F01${user.userId.slice(-8)}`,
        macAddress: '0F:0F:0F:0F:0F:0F',
        lastDataSyncTime: src.dayOf(user, src.today)?.syncS ?? 0,
      },
    ],
  });
}

function sportDetail(src: DataSource, url: URL): Answer {
  const trackId = Number(url.searchParams.get('trackId'));
  for (const day of src.daysIn(src.user, src.user.firstDate, src.today)) {
    if (day.workout?.trackId === trackId) {
      return answer(200, encodeSportDetail(day.workout, url.searchParams.get('device') ?? 'AMAZFIT_SPORTS_WATCH'));
    }
  }
  return NOT_FOUND;
}

const activityItems = (days: DayModel[]) =>
  days.map((d) => ({
    date: d.date,
    lastSyncTime: d.syncS,
    steps: d.steps,
    distance: d.distance,
    walkTime: d.walkTime,
    runDistance: d.runDistance,
    runTime: d.runTime,
    calories: d.calories,
    runCalories: d.runCalories,
  }));

/** Nights (or with interval=hourly their stages); amazfit: minute indexes from midnight(D), mifit: epoch seconds. */
function sleepItems(days: DayModel[], mifit: boolean, hourly: boolean): unknown[] {
  const items: unknown[] = [];
  for (const d of days) {
    const n = d.night;
    if (!n) continue;
    const when = (minute: number) => (mifit ? Math.floor(at(d, minute) / 1000) : minute);
    if (hourly) {
      for (const s of n.stages) {
        items.push({
          date: d.date,
          lastSyncTime: d.syncS,
          start: when(s.start),
          stop: mifit ? when(s.stop + 1) : s.stop,
          mode: s.mode,
        });
      }
    } else {
      items.push({
        date: d.date,
        lastSyncTime: d.syncS,
        deepSleepTime: n.deep,
        shallowSleepTime: n.shallow,
        wakeTime: n.wake,
        start: when(n.start),
        stop: when(n.stop),
        sleepScore: n.score,
      });
    }
  }
  return items;
}

const heartrateItems = (days: DayModel[]) =>
  days.flatMap((d) =>
    d.minutes.map((m) => ({
      date: d.date,
      minute: m.minute,
      lastSyncTime: d.syncS,
      heartRateData: m.hr ?? 0,
      timestamp: Math.floor(at(d, m.minute) / 1000),
      measureType: 'AUTO',
    })),
  );

const motionItems = (days: DayModel[]) =>
  days.flatMap((d) =>
    d.minutes.map((m) => ({
      date: d.date,
      minute: m.minute,
      lastSyncTime: d.syncS,
      activeness: m.activeness,
      mode: m.mode,
      steps: m.steps,
    })),
  );

const sportItems = (days: DayModel[]) =>
  days.flatMap((d) => {
    const w = d.workout;
    if (!w) return [];
    return [
      {
        trackId: String(w.trackId),
        startTime: w.trackId,
        endTime: w.trackId + w.sportTime,
        sportTime: w.sportTime,
        distance: w.distance,
        calories: w.calories,
        location: 'wx4ey7nzj0sy',
        averagePace: w.averagePace,
        averageStepFrequency: w.averageStepFrequency,
        averageStrideLength: w.averageStrideLength,
        timestamp: w.trackId,
        averageHeartRate: w.averageHeartRate,
        altitudeAscend: w.altitudeAscend,
        altitudeDescend: w.altitudeDescend,
        device: 'AMAZFIT_SPORTS_WATCH',
        deviceName: '{"en-WW":"Amazfit Sports Watch"}',
        type: 'OUTDOOR_RUN',
      },
    ];
  });

const paiItem = (d: DayModel) => ({
  averageHeartRate: 75,
  totalCal: String(d.pai.totalCal),
  restHr: d.pai.restHr,
  maxHr: d.pai.maxHr,
  totalPai: d.pai.totalPai,
  exerciseTimes: d.workout ? 1 : 0,
  dailyPai: d.pai.dailyPai,
  totalStep: d.pai.totalStep,
  activityScores: [0, 0, 0, 0, 0, 0, 0],
  nextActivityScores: [0, 0, 0, 0, 0, 0, 0],
  highZonePai: d.pai.highZonePai,
  mediumZonePai: d.pai.mediumZonePai,
  lowZonePai: d.pai.lowZonePai,
  highZoneMinutes: d.pai.highZoneMinutes,
  mediumZoneMinutes: d.pai.mediumZoneMinutes,
  lowZoneMinutes: d.pai.lowZoneMinutes,
  highZoneLowerLimit: 150,
  mediumZoneLowerLimit: 113,
  lowZoneLowerLimit: 90,
});

// the doc's calendarDay carries " +0000" whatever the zone; kept as documented
const paiSummaryItems = (days: DayModel[]) =>
  days.map((d) => ({ calendarDay: `${d.date} +0000`, userId: null, timestamp: d.midnightMs, ...paiItem(d) }));

const paiEventItems = (user: HuamiOpenSimUser, days: DayModel[]) =>
  days.map((d) => ({
    userId: user.userId,
    eventType: 'PaiHealthInfo',
    timestamp: d.midnightMs,
    timeZone: String(user.tzOffsetS / 900),
    ...paiItem(d),
  }));

const stressEventItems = (user: HuamiOpenSimUser, days: DayModel[]) =>
  days.map((d) => {
    const s = d.stress;
    return {
      userId: user.userId,
      eventType: 'all_day_stress',
      subType: 'all_day_stress',
      timestamp: d.midnightMs + 1,
      deviceId: 'AMAZFIT_SPORTS_WATCH',
      avgStress: String(s.avg),
      maxStress: String(s.max),
      minStress: String(s.min),
      relaxProportion: String(s.relax),
      normalProportion: String(s.normal),
      mediumProportion: String(s.medium),
      highProportion: String(s.high),
      data: JSON.stringify(s.readings),
    };
  });

/** The items of a date-range endpoint; undefined for a path that is not one. */
function rangeItems(path: string, user: HuamiOpenSimUser, days: DayModel[], url: URL): unknown[] | undefined {
  switch (path) {
    case 'activities':
      return activityItems(days);
    case 'sleep':
      return sleepItems(days, user.device === 'mifit', url.searchParams.get('interval') === 'hourly');
    case 'heartrates':
      return heartrateItems(days);
    case 'motionInMinute':
      return motionItems(days);
    case 'sports':
      return sportItems(days);
    case 'openData/PaiSummary':
      return paiSummaryItems(days);
    case 'events/PaiHealthInfo':
      return paiEventItems(user, days);
    case 'events/all_day_stress':
      return stressEventItems(user, days);
    default:
      return path.startsWith('events/') ? [] : undefined; // other event types: nothing recorded
  }
}

/** `GET /users/-/{path}` of an authorised person; `note.truncated` marks a range cut at its first month's end. */
export function dataAnswer(src: DataSource, url: URL, note: RequestNote): Answer {
  const path = url.pathname.replace(/^\/users\/-\//, '');
  if (path === 'profile') return profile(src.user);
  if (path === 'devices') return devices(src);
  if (path === 'sportDetail') return sportDetail(src, url);
  const startDate = url.searchParams.get('startDate');
  const endDate = url.searchParams.get('endDate');
  if (!startDate || !endDate) return answer(400, { code: -1002, message: 'Missing required parameter' });
  try {
    parseDate(startDate);
    parseDate(endDate);
  } catch {
    return answer(400, { code: -1004, message: 'Invalid parameter' });
  }
  // sports are chosen by their local start date, which may precede the requested days' own records
  // The doc never promises a long range whole: answer up to the end of startDate's month, silently.
  const answeredTo = endOfMonth(startDate) < endDate ? endOfMonth(startDate) : endDate;
  if (answeredTo < endDate) note.truncated = true;
  const items = rangeItems(path, src.user, src.daysIn(src.user, startDate, answeredTo), url);
  return items === undefined ? NOT_FOUND : answer(200, { items });
}
