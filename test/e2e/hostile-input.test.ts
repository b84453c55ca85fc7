// Hostile input at the edges (issue 8): the real CLI and the real webhook handler are fed oversized bodies,
// invalid UTF-8, JSON nested 100k deep, path-like and SQL-looking user ids. Each is refused with a clear
// message (non-zero exit or a 4xx) and nothing lands outside `tables/` / `raw/` of the user's own prefix.

import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { startSimulator } from '../../sim/index.ts';
import { demoUsers } from '../../sim/people/users.ts';
import {
  type HandlerEnv,
  lambdaContext,
  queueDepth,
  setUpHandlerEnv,
  testRuntime,
} from '../handlers/lambda-harness.ts';
import { runCli } from '../support/cli.ts';
import { tempRuntime, walk } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const PATH_LIKE_IDS = ['../x', 'a/b', '..', '/etc/passwd', '%2e%2e', 'a\u0000b', "x'; DROP TABLE users--"];
const deepJson = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x75, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]);

/** A stack trace line (`    at fn (file:1:2)`): a refused input must never dump one. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

function expectRefused(run: { code: number; stderr: string }, mentions: RegExp) {
  expect(run.code, run.stderr).not.toBe(0);
  expect(run.stderr).toMatch(mentions);
  expect(run.stderr).not.toMatch(STACK_LINE);
}

describe('the CLI with hostile input', () => {
  let rt: Awaited<ReturnType<typeof tempRuntime>>;
  let root: string;

  beforeAll(async () => {
    rt = await tempRuntime();
    root = join(rt.lakeDir, '..');
  });
  afterAll(() => rt?.cleanup());

  /** Every file the runs created: only the state file, the token file and lake objects of a user's own prefix. */
  async function filesWritten(): Promise<string[]> {
    return (await walk(root)).map((f) => f.slice(root.length + 1)).sort();
  }

  it.each(PATH_LIKE_IDS)('refuses the user id %j in sync, replay, status and decode', async (id) => {
    for (const args of [
      ['sync', '--user', id],
      ['replay', '--user', id],
      ['status', '--user', id],
    ]) {
      expectRefused(await runCli(rt, args), /user id/);
    }
    const file = join(root, 'payload.json');
    await writeFile(file, '{"code":1,"data":[]}');
    expectRefused(await runCli(rt, ['decode', 'band-data', file, '--user', id]), /user id/);
    for (const f of await filesWritten()) expect(f).toMatch(/^(payload\.json|home\/.*|lake\/(tables|raw)\/.*)$/);
  });

  it('refuses a vendor login whose user id is path-like, in login and users add, and stores nothing', async () => {
    const [alice, bob] = demoUsers(TODAY);
    const sim = await startSimulator({
      today: TODAY,
      users: [
        { ...alice!, userId: '../../evil' },
        { ...bob!, userId: "x'; DROP TABLE--" },
      ],
    });
    const password = process.env.ZEPP_LAKE_PASSWORD;
    try {
      process.env.ZEPP_LAKE_PASSWORD = alice!.password;
      expectRefused(await runCli(rt, ['login', '--email', alice!.email, '--host', sim.url]), /invalid user id/);
      process.env.ZEPP_LAKE_PASSWORD = bob!.password;
      expectRefused(
        await runCli(rt, ['users', 'add', '--source', 'zepp', '--email', bob!.email, '--host', sim.url]),
        /invalid user id/,
      );
    } finally {
      if (password === undefined) delete process.env.ZEPP_LAKE_PASSWORD;
      else process.env.ZEPP_LAKE_PASSWORD = password;
      await sim.close();
    }
    const files = await filesWritten();
    expect(files.filter((f) => f.includes('evil') || f.includes('DROP'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('lake/'))).toEqual([]);
  }, 30_000);

  it('answers a SQL-looking named query with the list of known names', async () => {
    for (const name of ["x'; DROP TABLE daily_summary--", '../../package', '/etc/passwd']) {
      expectRefused(await runCli(rt, ['query', '--name', name]), /no named query/);
    }
  });

  it('refuses a 50 MB, an invalid UTF-8 and a 100k-deep file to decode with a message naming what is wrong', async () => {
    const big = join(root, 'big.json');
    // 50 MB of a real-looking envelope whose one day has a 50 MB activity blob that is not base64.
    await writeFile(
      big,
      `{"code":1,"data":[{"date_time":"2021-08-07","summary":"{\\"tz\\":0}","data":"${'!'.repeat(50 * 1024 * 1024)}"}]}`,
    );
    expectRefused(await runCli(rt, ['decode', 'band-data', big]), /data\[0\]\.data: not valid base64/);

    const binary = join(root, 'binary.json');
    await writeFile(binary, INVALID_UTF8);
    expectRefused(await runCli(rt, ['decode', 'events', binary]), /binary.json: not valid UTF-8/);

    const deep = join(root, 'deep.json');
    await writeFile(deep, deepJson(100_000));
    expectRefused(await runCli(rt, ['decode', 'workout-history', deep]), /body: expected a JSON object/);
    await writeFile(
      deep,
      `{"items":[{"eventType":"all_day_stress","timestamp":1770336000000,"data":"${deepJson(100_000)}"}]}`,
    );
    expectRefused(
      await runCli(rt, ['decode', 'events', deep]),
      /items\[0\]\.data: expected a JSON array|items\[0\]\.data/,
    );
  }, 60_000);
});

/** A Function URL request as Lambda delivers it (payload format 2.0). */
function functionUrlEvent(body: Buffer, signature: string | undefined, base64 = true): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(signature ? { 'huami-signature': signature } : {}) },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghij',
      domainName: 'abcdefghij.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Huami-Push/1.0' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '20/Nov/2026:18:00:00 +0000',
      timeEpoch: Date.parse(`${TODAY}T18:00:00Z`),
    },
    body: body.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64,
  };
}

describe('the webhook with hostile input', () => {
  let h: HandlerEnv;
  let sim: HuamiOpenSimulator;
  let rt: LambdaRuntime;
  let webhook: (event: LambdaFunctionURLEvent) => Promise<APIGatewayProxyStructuredResultV2>;

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    sim = await startHuamiOpenSimulator({ seed: 12, today: TODAY, days: 2, users: 1 });
    process.env.HUAMI_PUBLIC_KEY = sim.publicKeyPem;
    const handlers = await import('../handlers/handler-modules.ts');
    rt = testRuntime(() => Date.parse(`${TODAY}T18:00:00Z`));
    const invoke = handlers.webhook(rt);
    webhook = (event) => invoke(event, lambdaContext('webhook', 10_000));
  }, 60_000);
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  const signed = (body: Buffer) => functionUrlEvent(body, sim.signBody(body));
  const messageOf = (res: APIGatewayProxyStructuredResultV2) =>
    (JSON.parse(res.body ?? '{}') as { message?: string }).message ?? '';

  it('answers a 7 MB body 413 without reading it, signed or not', async () => {
    const huge = Buffer.alloc(7 * 1024 * 1024, 0x20);
    for (const event of [signed(huge), functionUrlEvent(huge, undefined)]) {
      const res = await webhook(event);
      expect(res.statusCode).toBe(413);
      expect(messageOf(res)).toMatch(/body is 7340032 bytes/);
    }
  });

  it('answers invalid UTF-8, 30k-deep JSON and deep `data` 400, naming what is wrong', async () => {
    const user = sim.users[0]!.userId;
    const deepData = Buffer.from(
      `{"userId":"${user}","eventType":"activityDataUpdated","eventTime":1795000000,"data":${deepJson(30_000)}}`,
    );
    const cases: [Buffer, RegExp][] = [
      [INVALID_UTF8, /body: not valid JSON/],
      // 30k deep: 60 KB, within the 64 KiB a notification may have.
      [Buffer.from(deepJson(30_000)), /body: expected a JSON object/],
      [deepData, /unreadable notification|data/],
    ];
    for (const [body, message] of cases) {
      const res = await webhook(signed(body));
      expect(res.statusCode, messageOf(res)).toBe(400);
      expect(messageOf(res)).toMatch(message);
    }
  });

  it('refuses path-like and SQL-looking user ids in a signed notification; writes only under raw/', async () => {
    for (const id of PATH_LIKE_IDS) {
      const body = Buffer.from(JSON.stringify({ userId: id, eventType: 'activityDataUpdated', eventTime: 1795000000 }));
      const res = await webhook(signed(body));
      expect(res.statusCode).toBe(400);
      expect(messageOf(res)).toMatch(/^userId: /);
    }
    expect(await queueDepth(h)).toBe(0);
    const keys = await rt.store.list('');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^raw\/webhook-rejects\/[0-9a-f]{64}\.json$/);
  });
});
