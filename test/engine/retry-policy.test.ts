// The sync worker's retry policy, alone: what becomes of a message for each outcome or failure of its run.

import { describe, expect, it } from 'vitest';
import { LeaseHeldError, MalformedPayloadError, StorageWriteError, UpstreamError } from '../../lambdas/core/errors.ts';
import {
  decideFailure,
  decideOutcome,
  decidePoison,
  leaseTtlFor,
  PoisonMessageError,
  TransientSyncError,
} from '../../lambdas/engine/retry-policy.ts';
import type { SyncMessageOutcome } from '../../lambdas/engine/run-sync-message.ts';
import type { StreamReport, SyncReport } from '../../lambdas/engine/sync-engine.ts';

const stream = (rowsWritten: number): StreamReport => ({
  windows: 1,
  rowsWritten,
  objectsWritten: 1,
  written: 1,
  empty: 0,
  failed: 0,
  authFailed: 0,
});

function synced(over: Partial<SyncReport> = {}, transientFailures = 0): SyncMessageOutcome {
  const report: SyncReport = {
    userId: 'u1',
    streams: { band: stream(3), stress: stream(4) },
    authFailed: false,
    wrongRegionSuspected: false,
    errors: [],
    ...over,
  };
  return { status: 'synced', report, streams: ['band', 'stress'], transientFailures };
}

describe('decideOutcome', () => {
  it('finishes a clean sync with a summary of what landed', () => {
    const d = decideOutcome(synced(), 'u1', 1);
    expect(d).toEqual({
      action: 'done',
      log: {
        level: 'info',
        message: 'sync step done',
        data: { streams: 'band,stress', rows: 7, errors: [], wrongRegionSuspected: false },
      },
    });
  });

  it('finishes a skipped message without a retry', () => {
    const d = decideOutcome({ status: 'skipped', reason: 'user disabled' }, 'u1', 1);
    expect(d.action).toBe('done');
    expect(d.log).toEqual({ level: 'warn', message: 'sync message skipped', data: { why: 'user disabled' } });
  });

  it('finishes a user without tokens and counts it as auth failed: retrying cannot help', () => {
    const d = decideOutcome({ status: 'no-tokens', reason: 'no tokens stored for the user' }, 'u1', 2);
    expect(d).toMatchObject({ action: 'done', authFailed: true, log: { level: 'error' } });
  });

  it('finishes a run whose token died, even when vendor calls also failed: a person must log in again', () => {
    const d = decideOutcome(synced({ authFailed: true, errors: ['band 2026-11: AuthExpiredError: x'] }, 2), 'u1', 1);
    expect(d.action).toBe('done');
    expect(d.log.level).toBe('error');
    expect(d.log.data?.errors).toEqual(['band 2026-11: AuthExpiredError: x']);
  });

  it('hands a run with failed vendor calls back with an exponential backoff', () => {
    const first = decideOutcome(synced({}, 2), 'u1', 1);
    const third = decideOutcome(synced({}, 2), 'u1', 3);
    expect(first).toMatchObject({ action: 'retry', kind: 'transient', delaySeconds: 60 });
    expect(third).toMatchObject({ action: 'retry', kind: 'transient', delaySeconds: 240 });
    if (first.action !== 'retry') throw new Error('expected a retry');
    expect(first.error).toBeInstanceOf(TransientSyncError);
    expect((first.error as Error).message).toBe('2 vendor call(s) failed after their retries for user u1');
    expect(first.log).toMatchObject({ level: 'warn', data: { transientFailures: 2, rows: 7 } });
  });

  it('keeps only the first five errors in the summary', () => {
    const errors = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'];
    const d = decideOutcome(synced({ errors }), 'u1', 1);
    expect(d.log.data?.errors).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });
});

describe('decideFailure', () => {
  it('retries a held lease soon: it clears when the other worker finishes', () => {
    const err = new LeaseHeldError('user u1 is being synced');
    expect(decideFailure(err, 1)).toMatchObject({ action: 'retry', kind: 'lease-held', delaySeconds: 30, error: err });
    expect(decideFailure(err, 2)).toMatchObject({ delaySeconds: 60 });
    expect(decideFailure(err, 3)).toMatchObject({ delaySeconds: 120 });
  });

  it('retries any other failure with the transient backoff, capped at 15 minutes, and rethrows the error itself', () => {
    const err = new StorageWriteError('the lake could not be written');
    expect(decideFailure(err, 1)).toMatchObject({ action: 'retry', kind: 'transient', delaySeconds: 60, error: err });
    expect(decideFailure(new UpstreamError('503', 503), 40)).toMatchObject({ delaySeconds: 900 });
  });

  it('logs the failure without the secrets its message carries', () => {
    const d = decideFailure(new Error('call failed: access_token=abc123secret'), 1);
    expect(d.log.level).toBe('error');
    expect(JSON.stringify(d.log)).not.toContain('abc123secret');
    expect(String(d.log.data?.error)).toContain('[redacted]');
  });

  it('reads an unusable receive count as the first delivery', () => {
    expect(decideFailure(new Error('x'), 0)).toMatchObject({ delaySeconds: 60 });
  });
});

describe('decidePoison', () => {
  it('fails a message that is not a sync message, naming what was wrong, and leaves it to the dead-letter queue', () => {
    const cause = new MalformedPayloadError('streams', 'expected a non-empty list of streams');
    const d = decidePoison(cause, 'msg-7');
    expect(d.action).toBe('poison');
    if (d.action !== 'poison') throw new Error('expected poison');
    expect(d.error).toBeInstanceOf(PoisonMessageError);
    expect(d.error.message).toBe('message msg-7 is not a sync message: streams: expected a non-empty list of streams');
    expect(d.error.cause).toBe(cause);
    expect(d).not.toHaveProperty('delaySeconds');
  });
});

describe('leaseTtlFor', () => {
  it('holds the lease a minute past the invocation, or six minutes when its time is unknown', () => {
    expect(leaseTtlFor(300_000)).toBe(360_000);
    expect(leaseTtlFor(0)).toBe(360_000);
    expect(leaseTtlFor(900_000)).toBe(960_000);
  });
});
