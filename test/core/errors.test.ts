import { describe, expect, it } from 'vitest';
import { redact } from '../../lambdas/core/errors.ts';

describe('redact', () => {
  it('hides tokens, passwords, signatures and login or OAuth codes in URLs, JSON and headers', () => {
    const cases = [
      ['GET /v1/x?app_token=abc123XYZ&userid=1', 'GET /v1/x?app_token=[redacted]&userid=1'],
      ['{"login_token":"lt-secret","user_id":"1"}', '{"login_token":"[redacted]","user_id":"1"}'],
      ['password=hunter2&email=a@b.c', 'password=[redacted]&email=a@b.c'],
      ['https://x.test/cb?code=Zq7-oauth-code&state=s1', 'https://x.test/cb?code=[redacted]&state=s1'],
      ['access=ACCESS123&country_code=US', 'access=[redacted]&country_code=US'],
      ['Authorization: Bearer eyJhbGciOi.J9x', 'Authorization: Bearer [redacted]'],
      ['apptoken: secret-app-token', 'apptoken: [redacted]'],
      ['{"client_secret":"cs","signature":"c2ln"}', '{"client_secret":"[redacted]","signature":"[redacted]"}'],
    ] as const;
    for (const [input, want] of cases) expect(redact(input), input).toBe(want);
  });

  it('keeps vendor status codes, which say why a call failed', () => {
    expect(redact('429 {"error_code":"0106","message":"too many"}')).toBe(
      '429 {"error_code":"0106","message":"too many"}',
    );
    expect(redact('500 {"code":-50000,"message":"bad"}')).toBe('500 {"code":-50000,"message":"bad"}');
    expect(redact('{"code":0}')).toBe('{"code":0}');
    expect(redact('countryCode=DE&code=0')).toBe('countryCode=DE&code=0');
  });
});
