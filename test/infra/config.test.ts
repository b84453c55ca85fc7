import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, parseConfig } from '../../lib/config.ts';
import { composeTestApp, REPO_ROOT } from './infra-fixture.ts';

const PEM =
  '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----';

const errorOf = (raw: Record<string, unknown>): ConfigError => {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
};

describe('parseConfig', () => {
  it('uses the defaults when the context is empty', () => {
    expect(parseConfig({})).toEqual({ ...CONFIG_DEFAULTS });
  });

  it('reads numbers given as strings on the command line (-c key=value)', () => {
    expect(
      parseConfig({
        stage: 'prod',
        syncEveryHours: '12',
        lagDays: ' 0 ',
        reservedConcurrency: '10',
        webhookConcurrency: '20',
      }),
    ).toEqual({
      stage: 'prod',
      syncEveryHours: 12,
      lagDays: 0,
      reservedConcurrency: 10,
      webhookConcurrency: 20,
    });
  });

  it('treats an empty alarmEmail (as in cdk.json) as not set', () => {
    expect(parseConfig({ alarmEmail: '' })).not.toHaveProperty('alarmEmail');
    expect(parseConfig({ alarmEmail: 'me@example.com' }).alarmEmail).toBe('me@example.com');
  });

  it('accepts a PEM public key, also with literal \\n for newlines', () => {
    expect(parseConfig({ huamiPublicKey: PEM }).huamiPublicKey).toBe(PEM);
    expect(parseConfig({ huamiPublicKey: PEM.replace(/\n/g, '\\n') }).huamiPublicKey).toBe(PEM);
  });

  it.each([
    [{ stage: 'Prod' }, 'stage must start with a lowercase letter and have 2-21 characters a-z, 0-9 or -, got "Prod"'],
    [{ stage: 'p' }, 'got "p"'],
    [{ stage: 'a-very-long-stage-name-x' }, 'got "a-very-long-stage-name-x"'],
    [{ syncEveryHours: 0 }, 'syncEveryHours must be a whole number from 1 to 24, got 0'],
    [{ webhookConcurrency: 0 }, 'webhookConcurrency must be a whole number from 1 to 50, got 0'],
    [{ webhookConcurrency: '51' }, 'webhookConcurrency must be a whole number from 1 to 50, got "51"'],
    [{ syncEveryHours: '25' }, 'syncEveryHours must be a whole number from 1 to 24, got "25"'],
    [{ syncEveryHours: 1.5 }, 'got 1.5'],
    [{ lagDays: 31 }, 'lagDays must be a whole number from 0 to 30, got 31'],
    [{ lagDays: 'three' }, 'lagDays must be a whole number from 0 to 30, got "three"'],
    [{ reservedConcurrency: 11 }, 'reservedConcurrency must be a whole number from 1 to 10, got 11'],
    [{ alarmEmail: 'ops' }, 'alarmEmail must look like name@example.com (or be empty), got "ops"'],
    [{ huamiPublicKey: 'not a key' }, 'huamiPublicKey must be a PEM public key'],
  ])('fails on %j with a message that shows the value and what is allowed', (raw, message) => {
    const error = errorOf(raw);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(message);
  });

  it('fails with every problem at once, one per line, in lowercase', () => {
    const error = errorOf({ stage: 'X', syncEveryHours: 48, alarmEmail: 'nope' });
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(lines.slice(1).map((l) => l.trim().split(' ')[0])).toEqual(['stage', 'syncEveryHours', 'alarmEmail']);
    for (const line of lines) expect(line.charAt(0)).toBe(line.charAt(0).toLowerCase());
  });

  it('shows only the start of a bad public key', () => {
    const error = errorOf({ huamiPublicKey: `x${'A'.repeat(500)}` });
    expect(error.message.length).toBeLessThan(250);
  });
});

describe('the app configuration', () => {
  it('comes from the CDK context', () => {
    const { config, ingest } = composeTestApp({ stage: 'qa', syncEveryHours: 12 });
    expect(config).toMatchObject({ stage: 'qa', syncEveryHours: 12 });
    expect(ingest.stackName).toBe('zepp-lake-qa-ingest');
  });

  it('fails fast on a bad context value', () => {
    expect(() => composeTestApp({ reservedConcurrency: 0 })).toThrow(ConfigError);
  });

  it('bin/app.ts prints the problem and exits 1, without a stack trace', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ stage: 'Bad Stage', lagDays: 99 }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'zepp-lake-cdk-')),
      },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('invalid configuration:');
    expect(run.stderr).toContain('got "Bad Stage"');
    expect(run.stderr).toContain('lagDays must be a whole number from 0 to 30, got 99');
    expect(run.stderr).not.toContain('    at ');
  });
});
