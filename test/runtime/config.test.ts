import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lambdas/runtime/config.ts';

const DEPLOYED = {
  LAKE_BUCKET: 'lake',
  STATE_TABLE: 'state',
  QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/sync',
  KMS_KEY_ID: 'arn:aws:kms:eu-central-1:123456789012:key/abc',
  LAG_DAYS: '5',
  SECRET_PREFIX: 'zepp-lake/users/',
  HUAMI_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
};

describe('loadConfig', () => {
  it('types the environment the stack sets', () => {
    expect(loadConfig(DEPLOYED)).toEqual({
      lakeBucket: 'lake',
      stateTable: 'state',
      queueUrl: DEPLOYED.QUEUE_URL,
      kmsKeyId: DEPLOYED.KMS_KEY_ID,
      lagDays: 5,
      secretPrefix: 'zepp-lake/users/',
      huamiPublicKey: DEPLOYED.HUAMI_PUBLIC_KEY,
      tracing: false,
    });
  });

  it('fills the optional values with their defaults', () => {
    const config = loadConfig({ LAKE_BUCKET: 'l', STATE_TABLE: 's', QUEUE_URL: 'http://127.0.0.1:1/0/q' });
    expect(config).toMatchObject({ lagDays: 3, secretPrefix: 'zepp-lake/users/', huamiPublicKey: '' });
    expect(config.kmsKeyId).toBeUndefined();
  });

  it('names every problem at once', () => {
    expect(() => loadConfig({ QUEUE_URL: 'sync', LAG_DAYS: 'three' })).toThrow(ConfigError);
    expect(() => loadConfig({ QUEUE_URL: 'sync', LAG_DAYS: 'three' })).toThrow(
      'bad Lambda configuration: LAKE_BUCKET is not set (the lake bucket name); STATE_TABLE is not set (the state table name); QUEUE_URL must be a queue URL, got sync; LAG_DAYS must be a whole number from 0 to 30, got three',
    );
  });

  it('accepts exactly the LAG_DAYS the CDK app accepts (one set of ranges for both)', async () => {
    const { parseConfig } = await import('../../lib/config.ts');
    for (const lag of [0, 30]) {
      expect(loadConfig({ ...DEPLOYED, LAG_DAYS: String(lag) }).lagDays).toBe(lag);
      expect(parseConfig({ lagDays: lag }).lagDays).toBe(lag);
    }
    expect(() => loadConfig({ ...DEPLOYED, LAG_DAYS: '31' })).toThrow(
      'LAG_DAYS must be a whole number from 0 to 30, got 31',
    );
    expect(() => parseConfig({ lagDays: 31 })).toThrow('lagDays must be a whole number from 0 to 30, got 31');
  });
});
