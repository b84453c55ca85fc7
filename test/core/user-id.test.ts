import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../lambdas/core/errors.ts';
import { parseSyncMessage } from '../../lambdas/core/sync-message.ts';
import { assertValidUserId, InvalidUserIdError, isValidUserId } from '../../lambdas/core/user-id.ts';

const HOSTILE = [
  '',
  '..',
  '../x',
  'a/b',
  '/etc/passwd',
  'a\\b',
  '%2e%2e',
  'a\u0000b',
  "x'; DROP TABLE--",
  '.x',
  'a..b',
];

describe('user ids', () => {
  it('accepts the ids real sources send: numeric Zepp / Huami ids, simulator names, e-mail-like ids', () => {
    for (const id of ['1000000001', '1234567890', 'alice', 'u1', 'user_2.test@example-host', 'A'.repeat(128)]) {
      expect(assertValidUserId(id)).toBe(id);
    }
  });

  it('refuses anything that could leave the user prefix or is not a short plain name, quoting it escaped', () => {
    for (const id of [...HOSTILE, 'A'.repeat(129)]) {
      expect(isValidUserId(id), id).toBe(false);
      expect(() => assertValidUserId(id)).toThrow(InvalidUserIdError);
    }
    expect(() => assertValidUserId('a\u0000b')).toThrow('invalid user id "a\\u0000b"');
    expect(isValidUserId(42)).toBe(false);
  });

  it('is the rule of the SQS sync message parser', () => {
    for (const id of HOSTILE) {
      const body = JSON.stringify({ userId: id, streams: ['band'], reason: 'manual' });
      expect(() => parseSyncMessage(body)).toThrow(MalformedPayloadError);
    }
    expect(parseSyncMessage(JSON.stringify({ userId: '1000000001', streams: ['band'], reason: 'manual' })).userId).toBe(
      '1000000001',
    );
  });
});
