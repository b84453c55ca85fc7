// Email + password login to the Zepp / Mi Fit app API (reference/huami-api.md §2.1), the one step that needs
// the password: the caller stores the tokens it returns and mints new app tokens with client.ts's
// remintAppToken (see the token policy there). Transport rules: ../http.ts.

import { LoginError, MalformedPayloadError, redact, UpstreamError } from '../../core/errors.ts';
import {
  type Exchange,
  excerpt,
  exchangeOnce,
  type HttpOptions,
  parseJson,
  type ResolvedHttp,
  resolveHttp,
  Transient,
  withRetries,
} from '../http.ts';
import { APP_NAME, hostsFor, isRecord, malformed, safeCode, type ZeppHosts, type ZeppLogin } from './client.ts';

const LOGIN_REDIRECT_URI = 'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html';
const LOGIN_DOMAINS =
  'account.huami.com,api-user.huami.com,api-watch.huami.com,api-analytics.huami.com,app-analytics.huami.com,api-mifit.huami.com';

const LOGIN_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  '0106': 'the one-time login code was rejected (invalid or already used); start the login again',
  '0113': 'wrong region: the account belongs to another region, log in through that region’s account host',
  '0115': 'the account is disabled',
  '0117': 'no account is registered for this email',
};

/** A LoginError whose message explains a known `error_code`; `fallback` describes anything else. */
function loginError(
  code: string | undefined,
  fallback: string,
  knownCodes = Object.keys(LOGIN_ERROR_MESSAGES),
): LoginError {
  const known = code !== undefined && knownCodes.includes(code) ? LOGIN_ERROR_MESSAGES[code] : undefined;
  const message = known ?? (code !== undefined ? `${fallback} (error ${code})` : fallback);
  return new LoginError(redact(`Zepp login failed: ${message}`), code);
}

interface AccessCode {
  access: string;
  countryCode?: string;
  region?: string;
}

function accessFromParams(get: (key: string) => string | null | undefined): AccessCode | { error: string } {
  const error = get('error');
  if (error) return { error };
  const access = get('access');
  if (!access) return { error: '' };
  const region = get('region') ?? undefined;
  // huami-token derives a missing country code from the region's first two letters.
  const countryCode = get('country_code') ?? (region ? region.slice(0, 2).toUpperCase() : undefined);
  return { access, countryCode, region };
}

const STEP1_DISPLAY = '/registrations/[email]/tokens';
const STEP2_DISPLAY = '/v2/client/login';

/** Step 1's answer: the redirect's Location (or the JSON variant) -> the one-time access code, or why not. */
function accessCodeOf(ex: Exchange, registration: string): AccessCode | Transient {
  let parsed: AccessCode | { error: string } | undefined;
  const location = ex.headers.get('location');
  if (ex.status >= 300 && ex.status < 400 && location) {
    let target: URL;
    try {
      target = new URL(location, registration);
    } catch {
      throw new UpstreamError(`${STEP1_DISPLAY}: redirect Location is not a URL`, ex.status);
    }
    parsed = accessFromParams((k) => target.searchParams.get(k));
  } else {
    // The `json_response=true` variant, and error bodies carrying `error_code`.
    const json = parseJson(ex.text);
    if (json.ok && isRecord(json.value)) {
      const body = json.value;
      if (body.error_code !== undefined) throw loginError(safeCode(body.error_code), 'login refused');
      if (ex.status === 200) {
        parsed = accessFromParams((k) => (typeof body[k] === 'string' ? (body[k] as string) : undefined));
      }
    } else if (ex.status === 200) {
      return malformed(STEP1_DISPLAY, STEP1_DISPLAY, ex.text);
    }
  }
  if (parsed === undefined) {
    throw new UpstreamError(redact(`${STEP1_DISPLAY}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
  }
  if ('error' in parsed) {
    if (parsed.error === '') throw loginError(undefined, 'the login redirect carried no access code');
    // 0106 belongs to step 2 (the one-time code); in step 1 every other error means bad credentials.
    throw loginError(safeCode(parsed.error), 'wrong email or password', ['0113', '0115', '0117']);
  }
  return parsed;
}

/** Step 1: email and password to the registration host, which redirects with a one-time access code. */
function requestAccessCode(
  h: ResolvedHttp,
  registration: string,
  email: string,
  password: string,
): Promise<AccessCode> {
  const step1Path = `/registrations/${encodeURIComponent(email)}/tokens`;
  const step1Body = new URLSearchParams({
    state: 'REDIRECTION',
    client_id: 'HuaMi',
    redirect_uri: LOGIN_REDIRECT_URI,
    token: 'access',
    password,
  }).toString();
  return withRetries(h, STEP1_DISPLAY, async () => {
    const ex = await exchangeOnce(
      h,
      registration + step1Path,
      {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: step1Body,
      },
      STEP1_DISPLAY,
    );
    return ex instanceof Transient ? ex : accessCodeOf(ex, registration);
  });
}

/** Step 2's answer: the login and app tokens, with the region the account host says (else step 1's). */
function tokensOf(ex: Exchange, code: AccessCode): ZeppLogin | Transient {
  const json = parseJson(ex.text);
  if (!json.ok || !isRecord(json.value)) {
    if (ex.status === 200) return malformed(STEP2_DISPLAY, STEP2_DISPLAY, ex.text);
    throw new UpstreamError(redact(`${STEP2_DISPLAY}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
  }
  const body = json.value;
  if (body.error_code !== undefined) throw loginError(safeCode(body.error_code), 'login refused');
  const info = body.token_info;
  if (ex.status !== 200 || !isRecord(info)) {
    throw new UpstreamError(redact(`${STEP2_DISPLAY}: HTTP ${ex.status} without token_info`), ex.status);
  }
  const { login_token: loginToken, app_token: appToken, user_id: userId } = info;
  if (typeof loginToken !== 'string' || typeof appToken !== 'string' || userId === undefined || userId === null) {
    throw new MalformedPayloadError('token_info', `${STEP2_DISPLAY} answered without login_token/app_token/user_id`);
  }
  const regist = isRecord(body.regist_info) ? body.regist_info : {};
  const region = typeof regist.region === 'string' && regist.region ? regist.region : code.region;
  const countryCode =
    typeof regist.country_code === 'string' && regist.country_code ? regist.country_code : code.countryCode;
  return { loginToken, appToken, userId: String(userId), region, countryCode };
}

/** Step 2: the one-time code to the account host for the tokens; `onAttempt` counts the tries. */
function exchangeAccessCode(
  h: ResolvedHttp,
  account: string,
  code: AccessCode,
  onAttempt: () => void,
): Promise<ZeppLogin> {
  const step2Body = new URLSearchParams({
    app_name: APP_NAME,
    app_version: '4.0.9',
    code: code.access,
    country_code: code.countryCode ?? 'US',
    device_id: '02:00:00:00:00:00',
    device_model: 'android_phone',
    grant_type: 'access_token',
    third_name: 'huami',
    allow_registration: 'false',
    dn: LOGIN_DOMAINS,
    lang: 'en',
  }).toString();
  return withRetries(h, STEP2_DISPLAY, async () => {
    onAttempt();
    const ex = await exchangeOnce(
      h,
      account + STEP2_DISPLAY,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: step2Body },
      STEP2_DISPLAY,
    );
    return ex instanceof Transient ? ex : tokensOf(ex, code);
  });
}

/**
 * Email + password login, two steps (§2.1): the registration host answers a redirect whose Location
 * carries a one-time `access` code, which the account host exchanges for the login and app tokens.
 */
export async function loginWithPassword(
  email: string,
  password: string,
  hosts: ZeppHosts,
  http?: HttpOptions,
): Promise<ZeppLogin> {
  const h = resolveHttp(http);
  const { registration, account } = hostsFor(hosts);
  let exchangeAttempts = 0;
  try {
    const code = await requestAccessCode(h, registration, email, password);
    return await exchangeAccessCode(h, account, code, () => exchangeAttempts++);
  } catch (err) {
    // A retried exchange may meet 0106 because the attempt that timed out already spent the one-time code:
    // fetch one new code (a single extra password POST) instead of failing the login.
    if (!(err instanceof LoginError && err.code === '0106' && exchangeAttempts > 1)) throw err;
    return exchangeAccessCode(h, account, await requestAccessCode(h, registration, email, password), () => {});
  }
}
