import { describe, expect, it } from 'vitest';
import { CliConfigError, loadCliConfig } from '../../lambdas/runtime/cli-config.ts';

describe('loadCliConfig', () => {
  it('types every variable the command line reads', () => {
    expect(
      loadCliConfig({
        ZEPP_LAKE_DIR: './lake',
        ZEPP_LAKE_HOME: './home',
        ZEPP_LAKE_BACKEND: 'aws',
        ZEPP_LAKE_BUCKET: 'my-lake',
        ZEPP_LAKE_STATE_TABLE: 'state',
        ZEPP_LAKE_KMS_KEY_ID: 'alias/zepp-lake',
        ZEPP_LAKE_EMAIL: 'a@example.com',
        ZEPP_LAKE_HOST: 'https://api-mifit-de2.huami.com',
        ZEPP_LAKE_PASSWORD: ' spaces kept ',
        HUAMI_CLIENT_SECRET: 'secret',
        AWS_REGION: 'eu-central-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      lakeDir: './lake',
      homeDir: './home',
      backend: 'aws',
      bucket: 'my-lake',
      stateTable: 'state',
      kmsKeyId: 'alias/zepp-lake',
      email: 'a@example.com',
      host: 'https://api-mifit-de2.huami.com',
      password: ' spaces kept ',
      huamiClientSecret: 'secret',
      awsRegion: 'eu-central-1',
      s3EndpointUrl: 'http://127.0.0.1:4566',
    });
  });

  it('leaves unset what is unset, and takes AWS_DEFAULT_REGION when AWS_REGION is not set', () => {
    const config = loadCliConfig({ AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: '' });
    expect(config.awsRegion).toBe('us-east-1');
    expect(config.s3EndpointUrl).toBeUndefined();
    expect(config.backend).toBeUndefined();
    expect(config.password).toBeUndefined();
  });

  it('names every bad variable at once, with what it should hold', () => {
    let caught: unknown;
    try {
      loadCliConfig({ ZEPP_LAKE_BACKEND: 'gcp', AWS_ENDPOINT_URL_S3: 'localhost:4566', AWS_REGION: 'EU Central' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('ZEPP_LAKE_BACKEND must be local or aws, got "gcp"');
    expect(message).toContain('AWS_ENDPOINT_URL_S3 must be an http:// or https:// URL');
    expect(message).toContain('AWS_REGION must be a region code such as eu-central-1');
    expect((caught as Error).name).toBe('CliConfigError');
  });

  it('never repeats a secret in its message', () => {
    const secrets = { ZEPP_LAKE_PASSWORD: 'pw-canary-1', HUAMI_CLIENT_SECRET: 'cs-canary-2' };
    expect(() => loadCliConfig({ ...secrets, ZEPP_LAKE_BACKEND: 'x' })).toThrow(/ZEPP_LAKE_BACKEND/);
    try {
      loadCliConfig({ ...secrets, ZEPP_LAKE_BACKEND: 'x' });
    } catch (err) {
      expect((err as Error).message).not.toMatch(/canary/);
    }
  });
});
