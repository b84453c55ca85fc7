// Who a synthetic person is: their ids and credentials, their time zones over time and their devices, and what the
// simulator tells about them (SimUserInfo).

/** The UTC offset in force from local date `from` on (until the next change). */
export interface TzChange {
  from: string;
  offsetS: number;
}

export interface DeviceSpec {
  /** First local date this device recorded. */
  from: string;
  deviceId: string;
  /** band_data `source` / devices `deviceSource`. */
  source: number;
  name: string;
  mac: string;
  sn: string;
  /** history.json `source` of the workouts it recorded. */
  trackSource: string;
  /** history.json `bind_device`. */
  bindDevice: string;
  /** Whether band_data records carry `device_id` (newer firmware) or only `source`. */
  sendsDeviceId: boolean;
  /** Whether summaries report `hr.maxHr`. */
  reportsMaxHr: boolean;
  /** Whether the device produces readiness events. */
  readiness: boolean;
}

export interface SimUserSpec {
  /** Short handle, e.g. `alice`. */
  name: string;
  email: string;
  password: string;
  /** Vendor user id (a string of digits, like the real `user_id`). */
  userId: string;
  /**
   * What the person's data is generated from, with the simulator's seed (default: `userId`). Set it when the
   * id must be unique per run (the chaos suite shares its stand-ins) but the data must come out the same for
   * the same seed, so a failing seed reproduces on the same rows.
   */
  dataKey?: string;
  region: string;
  countryCode: string;
  /** First local date with data. */
  firstDate: string;
  /** Sorted by `from`; the first entry applies to every date before the second. */
  tz: TzChange[];
  /** Sorted by `from`; the first entry applies to every date before the second. */
  devices: DeviceSpec[];
  /** Probability of a workout on a day with data. */
  workoutRate: number;
  /** Probability of a day with no data at all (never the first day or today). */
  gapRate: number;
  /** Days forced to have no data. */
  gapDates?: string[];
  /** Days forced to have a pool swim (type 14, no GPS, HR all 0). */
  swimDates?: string[];
  /** Send `summary.tz` as a number instead of the usual string. */
  tzAsNumber?: boolean;
  /** Home position for GPS tracks, degrees. */
  home: { lat: number; lon: number };
}

export interface SimUserInfo {
  name: string;
  email: string;
  password: string;
  userId: string;
  region: string;
  countryCode: string;
  /** The offset in force today. */
  tzOffsetS: number;
  firstDate: string;
  lastDate: string;
  devices: string[];
}
