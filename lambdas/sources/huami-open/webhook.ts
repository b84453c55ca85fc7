// The Huami Subscriptions webhook core (seed 003 §5): signature check, notification parsing, replay hash and
// the re-sync plan. Pure apart from node:crypto (no I/O, no clock).
//
// Public API
//   verifyHuamiSignature(rawBody, signatureHeader, publicKeyPem): boolean
//     `Huami-Signature` = URL-encoded base64 of RSA-SHA1 over the exact raw body bytes. Never throws: a
//     missing, garbled or wrong signature and an unreadable key all give false.
//   parseNotification(rawBody): HuamiNotification          MalformedPayloadError naming the field
//   notificationHash(rawBody): string                       sha256 hex of the raw bytes (the replay key)
//   planNotificationSync(n): NotificationSyncPlan          which streams and dates to fetch again
//
// The notification only says that something changed (userId, eventType, eventTime, resourceTime); the data
// is fetched again through the Web API. resourceTime is "the datetime of changed resource data": the plan
// re-syncs its UTC date +-1 day, which covers the person's local date whatever their offset.

import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { MalformedPayloadError } from '../../core/errors.ts';
import type { NotificationSyncPlan } from '../../core/notification.ts';
import { STREAMS, type StreamName } from '../../core/ports.ts';
import { addDays } from '../../core/time.ts';

export interface HuamiNotification {
  userId: string;
  eventType: string;
  /** epoch seconds, as sent */
  eventTime: number;
  /** epoch seconds of the changed data, when sent */
  resourceTime: number | null;
  /** the `data` field: a JSON string in the doc's examples; kept as sent (objects are re-serialised) */
  data: string | null;
}

const keyCache = new Map<string, KeyObject | null>();

function publicKeyOf(pem: string): KeyObject | null {
  if (!keyCache.has(pem)) {
    let key: KeyObject | null = null;
    try {
      key = createPublicKey(pem);
    } catch {
      key = null;
    }
    keyCache.set(pem, key);
  }
  return keyCache.get(pem) ?? null;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function verifyHuamiSignature(
  rawBody: Uint8Array,
  signatureHeader: string | undefined,
  publicKeyPem: string,
): boolean {
  try {
    if (typeof signatureHeader !== 'string' || signatureHeader.trim() === '') return false;
    const key = publicKeyOf(publicKeyPem);
    if (!key) return false;
    let b64 = decodeURIComponent(signatureHeader.trim());
    // A form-style encoder writes spaces for '+'; base64 has no spaces, so they can only be '+'.
    b64 = b64.replace(/ /g, '+');
    // Buffer.from(..., 'base64') silently skips garbage; insist on real base64 instead.
    if (b64.length % 4 !== 0 || !BASE64.test(b64)) return false;
    const signature = Buffer.from(b64, 'base64');
    return verify('RSA-SHA1', rawBody, key, signature);
  } catch {
    return false;
  }
}

export function notificationHash(rawBody: Uint8Array): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

function epochSeconds(value: unknown, field: string, required: boolean): number | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw new MalformedPayloadError(field, 'missing');
    return null;
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new MalformedPayloadError(field, 'expected epoch seconds');
  }
  return n > 1e12 ? Math.floor(n / 1000) : n; // tolerate milliseconds
}

export function parseNotification(rawBody: Uint8Array): HuamiNotification {
  let body: unknown;
  try {
    // fatal: a body that is not UTF-8 is refused, not read with U+FFFD in place of the bad bytes.
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch (cause) {
    throw new MalformedPayloadError('body', 'not valid JSON', { cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedPayloadError('body', 'expected a JSON object');
  }
  const o = body as Record<string, unknown>;
  const userId =
    typeof o.userId === 'string' ? o.userId.trim() : typeof o.userId === 'number' ? String(o.userId) : undefined;
  if (!userId || !/^[A-Za-z0-9_-]{1,64}$/.test(userId)) {
    throw new MalformedPayloadError('userId', 'missing or not an id');
  }
  if (typeof o.eventType !== 'string' || !/^[A-Za-z0-9_.-]{1,80}$/.test(o.eventType)) {
    throw new MalformedPayloadError('eventType', 'missing or not a name');
  }
  const eventTime = epochSeconds(o.eventTime, 'eventTime', true) as number;
  const resourceTime = epochSeconds(o.resourceTime, 'resourceTime', false);
  let data: string | null = null;
  if (typeof o.data === 'string') data = o.data;
  else if (o.data !== undefined && o.data !== null) data = JSON.stringify(o.data);
  return { userId, eventType: o.eventType, eventTime, resourceTime, data };
}

/**
 * eventType -> streams. The doc names `activityDataUpdated`, `userNotificationStateChange` and
 * `physicalActivityStateChange`; the other names are matched by the data they mention. An unknown
 * eventType re-syncs every stream: over-fetching a few days is cheaper than a lost update.
 */
export function streamsForEventType(eventType: string): StreamName[] {
  const t = eventType.toLowerCase();
  if (t === 'usernotificationstatechange' || t === 'physicalactivitystatechange') return [];
  const streams = new Set<StreamName>();
  if (/activity|sleep|heart|motion|step|band/.test(t)) streams.add('band');
  if (/sport|workout|track/.test(t)) streams.add('workouts');
  if (/pai/.test(t)) streams.add('pai');
  if (/stress/.test(t)) streams.add('stress');
  if (/spo2|oxygen/.test(t)) streams.add('spo2');
  if (/readiness/.test(t)) streams.add('readiness');
  return streams.size > 0 ? STREAMS.filter((s) => streams.has(s)) : [...STREAMS];
}

export function planNotificationSync(n: HuamiNotification): NotificationSyncPlan {
  const at = n.resourceTime ?? n.eventTime;
  const day = new Date(at * 1000).toISOString().slice(0, 10);
  return { userId: n.userId, streams: streamsForEventType(n.eventType), from: addDays(day, -1), to: addDays(day, 1) };
}
