// Helpers for the simulator tests: a tiny client speaking the Zepp login flow over real HTTP.

import type { Simulator } from '../../sim/index.ts';

export const TODAY = '2025-06-15';

/** A JSON body inspected loosely: the tests assert its shape field by field. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests
export type Json = any;

export interface Session {
  userId: string;
  appToken: string;
  loginToken: string;
}

export async function accessCode(sim: Simulator, email: string, password: string): Promise<URL> {
  const res = await fetch(`${sim.url}/registrations/${encodeURIComponent(email)}/tokens`, {
    method: 'POST',
    body: new URLSearchParams({
      state: 'REDIRECTION',
      client_id: 'HuaMi',
      redirect_uri: 'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html',
      token: 'access',
      password,
    }),
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`expected 303, got ${res.status}`);
  return new URL(res.headers.get('location') ?? '');
}

export async function clientLogin(
  sim: Simulator,
  code: string,
): Promise<{ status: number; body: Record<string, Json> }> {
  const res = await fetch(`${sim.url}/v2/client/login`, {
    method: 'POST',
    body: new URLSearchParams({
      app_name: 'com.xiaomi.hm.health',
      app_version: '4.0.9',
      code,
      country_code: 'DE',
      device_id: '02:00:00:00:00:00',
      device_model: 'android_phone',
      grant_type: 'access_token',
      third_name: 'huami',
      allow_registration: 'false',
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, Json> };
}

export async function login(sim: Simulator, name: string): Promise<Session> {
  const user = sim.users.find((u) => u.name === name);
  if (!user) throw new Error(`no user ${name}`);
  const location = await accessCode(sim, user.email, user.password);
  const { body } = await clientLogin(sim, location.searchParams.get('access') ?? '');
  return {
    userId: body.token_info.user_id,
    appToken: body.token_info.app_token,
    loginToken: body.token_info.login_token,
  };
}

export async function getJson(
  sim: Simulator,
  path: string,
  session: Session | undefined,
): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    headers: session ? { apptoken: session.appToken, appPlatform: 'web', appname: 'com.xiaomi.hm.health' } : {},
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export function decodeSummary(b64: string): Record<string, Json> {
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Record<string, Json>;
}
