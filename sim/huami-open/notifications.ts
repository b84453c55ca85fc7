// Signed Subscriptions notifications of the huami-open simulator: the body is signed with RSA-SHA1 and the
// base64 signature URL-encoded into the `huami-signature` header, so a receiver verifies it with the public key.

import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { addDays, parseDate } from '../../lambdas/core/time.ts';
import type { HuamiNotificationBody, HuamiOpenSimUser, NotifyOptions } from './types.ts';

export class Notifier {
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  private counter = 0;

  constructor(
    private readonly userById: ReadonlyMap<string, HuamiOpenSimUser>,
    private readonly today: string,
  ) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.privateKey = privateKey;
  }

  signBody(raw: Uint8Array | string): string {
    const signer = createSign('RSA-SHA1');
    signer.update(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
    return encodeURIComponent(signer.sign(this.privateKey).toString('base64'));
  }

  /** A data-updated notification about one of the last three days at local noon, numbered in sequence. */
  makeNotification(userId: string, overrides: Partial<HuamiNotificationBody> = {}): HuamiNotificationBody {
    this.counter++;
    const counter = this.counter;
    const user = this.userById.get(userId);
    const day = user ? addDays(this.today, -(counter % 3)) : this.today;
    const resourceTime = Math.floor((parseDate(day) - (user?.tzOffsetS ?? 0) * 1000) / 1000) + 43_200;
    return {
      userId,
      eventType: 'activityDataUpdated',
      eventTime: resourceTime + 60 + counter,
      resourceTime,
      data: JSON.stringify({ sequence: counter }),
      ...overrides,
    };
  }

  /** POSTs a notification (or raw text), signed unless told otherwise, optionally tampered with after signing. */
  async notify(
    targetUrl: string,
    notification: HuamiNotificationBody | string,
    opts: NotifyOptions = {},
  ): Promise<{ status: number; ms: number }> {
    const body = Buffer.from(typeof notification === 'string' ? notification : JSON.stringify(notification), 'utf8');
    let signature = this.signBody(body);
    const sent = Buffer.from(body);
    if (opts.tamper === 'body') sent[Math.floor(sent.length / 2)]! ^= 0x01;
    if (opts.tamper === 'signature') {
      const bytes = Buffer.from(decodeURIComponent(signature), 'base64');
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      signature = encodeURIComponent(bytes.toString('base64'));
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (!opts.omitSignature) headers['huami-signature'] = signature;
    const started = performance.now();
    const res = await fetch(targetUrl, { method: 'POST', headers, body: sent });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started };
  }
}
