import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import { NotificationInProgressError } from '../../../lambdas/core/notification.ts';
import {
  notificationHash,
  parseNotification,
  planNotificationSync,
  verifyHuamiSignature,
} from '../../../lambdas/sources/huami-open/webhook.ts';
import { handleWebhookRequest, type WebhookDeps } from '../../../lambdas/sources/huami-open/webhook-flow.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

/** Huami-Signature: URL-encoded base64 of RSA-SHA1 over the raw body. */
function sign(raw: Uint8Array): string {
  return encodeURIComponent(createSign('RSA-SHA1').update(raw).sign(privateKey).toString('base64'));
}

function flipOneByte(bytes: Uint8Array, at = Math.floor(bytes.length / 2)): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

function flipSignatureByte(header: string): string {
  const bytes = Buffer.from(decodeURIComponent(header), 'base64');
  return encodeURIComponent(Buffer.from(flipOneByte(bytes)).toString('base64'));
}

const body = (over: Record<string, unknown> = {}) =>
  new TextEncoder().encode(
    JSON.stringify({
      userId: '1000000296',
      eventType: 'activityDataUpdated',
      eventTime: 1499736115,
      resourceTime: 1499736115,
      data: '{"state":"asleep"}',
      ...over,
    }),
  );

function memoryDeps() {
  const seen = new Set<string>();
  const enqueued: unknown[] = [];
  const kept: { raw: Uint8Array; reason: string }[] = [];
  let signatureFailures = 0;
  const deps: WebhookDeps = {
    publicKeyPem,
    // The flow's contract with queueOnce, in memory: the handler's Powertools-backed version is tested against
    // DynamoDB Local in test/handlers/webhook-delivery.test.ts.
    queueOnce: async (hash, plan) => {
      if (seen.has(hash)) return 'replay';
      enqueued.push(plan);
      seen.add(hash);
      return 'queued';
    },
    keepMalformed: async (raw, reason) => {
      kept.push({ raw, reason });
    },
    countSignatureFailure: () => {
      signatureFailures++;
    },
  };
  return { deps, seen, enqueued, kept, failures: () => signatureFailures };
}

describe('verifyHuamiSignature', () => {
  const raw = body();
  it('accepts the signature of the exact raw body', () => {
    expect(verifyHuamiSignature(raw, sign(raw), publicKeyPem)).toBe(true);
  });
  it('rejects a body with one flipped byte', () => {
    expect(verifyHuamiSignature(flipOneByte(raw), sign(raw), publicKeyPem)).toBe(false);
    expect(verifyHuamiSignature(flipOneByte(raw, 0), sign(raw), publicKeyPem)).toBe(false);
  });
  it('rejects a signature with one flipped byte', () => {
    expect(verifyHuamiSignature(raw, flipSignatureByte(sign(raw)), publicKeyPem)).toBe(false);
  });
  it('rejects a signature made with another key', () => {
    expect(verifyHuamiSignature(raw, sign(raw), otherPem)).toBe(false);
  });
  it('returns false, never throws, on missing or garbage input', () => {
    for (const header of [undefined, '', '   ', '%E0%A4%A', 'not base64 !!', '====', 'AAAA']) {
      expect(verifyHuamiSignature(raw, header, publicKeyPem)).toBe(false);
    }
    expect(verifyHuamiSignature(raw, sign(raw), 'not a pem')).toBe(false);
  });
  it('accepts a header whose + signs arrived unencoded or as spaces', () => {
    const plain = decodeURIComponent(sign(raw));
    expect(verifyHuamiSignature(raw, plain, publicKeyPem)).toBe(true);
    expect(verifyHuamiSignature(raw, plain.replace(/\+/g, ' '), publicKeyPem)).toBe(true);
  });
});

describe('parseNotification and planNotificationSync', () => {
  it('parses the seed example and plans the band stream around resourceTime', () => {
    const n = parseNotification(body());
    expect(n).toEqual({
      userId: '1000000296',
      eventType: 'activityDataUpdated',
      eventTime: 1499736115,
      resourceTime: 1499736115,
      data: '{"state":"asleep"}',
    });
    // 1499736115 = 2017-07-11T01:21:55Z: the UTC date +-1 day covers every offset
    expect(planNotificationSync(n)).toEqual({
      userId: '1000000296',
      streams: ['band'],
      from: '2017-07-10',
      to: '2017-07-12',
    });
  });

  it('maps event types to streams; read receipts need no sync; unknown types re-sync everything', () => {
    const plan = (eventType: string) => planNotificationSync(parseNotification(body({ eventType }))).streams;
    expect(plan('sportDataUpdated')).toEqual(['workouts']);
    expect(plan('userNotificationStateChange')).toEqual([]);
    expect(plan('somethingNew')).toEqual(['band', 'workouts', 'stress', 'spo2', 'pai', 'readiness']);
  });

  it('falls back to eventTime when resourceTime is absent', () => {
    const n = parseNotification(body({ resourceTime: undefined, eventTime: 1499736115000 }));
    expect(n.resourceTime).toBeNull();
    expect(planNotificationSync(n).from).toBe('2017-07-10');
  });

  it('names the field of a malformed notification', () => {
    const field = (raw: Uint8Array) => {
      try {
        parseNotification(raw);
      } catch (err) {
        expect(err).toBeInstanceOf(MalformedPayloadError);
        return (err as MalformedPayloadError).field;
      }
      return 'no error';
    };
    expect(field(new TextEncoder().encode('{"userId":'))).toBe('body');
    expect(field(new TextEncoder().encode('[1]'))).toBe('body');
    expect(field(body({ userId: undefined }))).toBe('userId');
    expect(field(body({ eventType: 7 }))).toBe('eventType');
    expect(field(body({ eventTime: 'soon' }))).toBe('eventTime');
  });

  it('hashes the exact raw bytes', () => {
    expect(notificationHash(body())).toMatch(/^[0-9a-f]{64}$/);
    expect(notificationHash(body())).toBe(notificationHash(body()));
    expect(notificationHash(flipOneByte(body()))).not.toBe(notificationHash(body()));
  });
});

describe('handleWebhookRequest', () => {
  it('queues and answers 204 for a new signed notification', async () => {
    const m = memoryDeps();
    const raw = body();
    const result = await handleWebhookRequest({ rawBody: raw, headers: { 'Huami-Signature': sign(raw) } }, m.deps);
    expect(result).toEqual({ statusCode: 204 });
    expect(m.enqueued).toEqual([{ userId: '1000000296', streams: ['band'], from: '2017-07-10', to: '2017-07-12' }]);
  });

  it('answers a replay 204 without enqueueing a second sync', async () => {
    const m = memoryDeps();
    const raw = body();
    const req = { rawBody: raw, headers: { 'huami-signature': sign(raw) } };
    await handleWebhookRequest(req, m.deps);
    expect(await handleWebhookRequest(req, m.deps)).toEqual({ statusCode: 204, reason: 'replay' });
    expect(m.enqueued).toHaveLength(1);
  });

  it('rejects a tampered body, a tampered signature or a missing header with 401, before parsing', async () => {
    const m = memoryDeps();
    const raw = body();
    let parsed = 0;
    const spy: WebhookDeps = {
      ...m.deps,
      queueOnce: async (h, plan) => {
        parsed++;
        return m.deps.queueOnce(h, plan);
      },
    };
    const cases = [
      { rawBody: flipOneByte(raw), headers: { 'huami-signature': sign(raw) } },
      { rawBody: raw, headers: { 'huami-signature': flipSignatureByte(sign(raw)) } },
      { rawBody: raw, headers: {} },
      // garbage that is not even JSON: still 401 (not 400), because it is not signed
      { rawBody: new TextEncoder().encode('{{{'), headers: { 'huami-signature': 'AAAA' } },
    ];
    for (const req of cases) expect((await handleWebhookRequest(req, spy)).statusCode).toBe(401);
    expect(m.failures()).toBe(4);
    expect(parsed).toBe(0);
    expect(m.enqueued).toEqual([]);
    expect(m.kept).toEqual([]);
  });

  it('keeps a correctly signed but malformed body and answers 400', async () => {
    const m = memoryDeps();
    const raw = new TextEncoder().encode('{"userId":"1","eventType":');
    const result = await handleWebhookRequest({ rawBody: raw, headers: { 'huami-signature': sign(raw) } }, m.deps);
    expect(result.statusCode).toBe(400);
    expect(m.kept).toHaveLength(1);
    expect(m.kept[0]?.raw).toEqual(raw);
    expect(m.kept[0]?.reason).toMatch(/^body:/);
    expect(m.enqueued).toEqual([]);
  });

  it('answers 500 when the messages could not be queued, and 503 while another delivery is in progress', async () => {
    const m = memoryDeps();
    const raw = body();
    const req = { rawBody: raw, headers: { 'huami-signature': sign(raw) } };
    const failing: WebhookDeps = {
      ...m.deps,
      queueOnce: async () => {
        throw new Error('queue down');
      },
    };
    const busy: WebhookDeps = {
      ...m.deps,
      queueOnce: async () => {
        throw new NotificationInProgressError('in progress');
      },
    };
    expect((await handleWebhookRequest(req, failing)).statusCode).toBe(500);
    expect((await handleWebhookRequest(req, busy)).statusCode).toBe(503);
    expect(await handleWebhookRequest(req, m.deps)).toEqual({ statusCode: 204 });
    expect(m.enqueued).toHaveLength(1);
  });

  it('acknowledges a read receipt without enqueueing a sync', async () => {
    const m = memoryDeps();
    const raw = body({ eventType: 'userNotificationStateChange' });
    const result = await handleWebhookRequest({ rawBody: raw, headers: { 'huami-signature': sign(raw) } }, m.deps);
    expect(result.statusCode).toBe(204);
    expect(m.enqueued).toEqual([]);
  });
});
