// The raw store's one rule (lambdas/engine/raw-store.ts): a stored response is overwritten or deleted only when a
// response fetched later yields every row key it yields. Run against the folder lake and the S3 stand-in alike,
// with responses whose row keys are spelled out in their text ("k1,k2"), so every expected key set is by hand.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { decodeRawRecord, encodeRawRecord, type RawRecord } from '../../lambdas/core/raw-records.ts';
import { removeSupersededRaw, storeRawFetch } from '../../lambdas/engine/raw-store.ts';
import { FolderObjectStore } from '../../lambdas/stores/fs-lake.ts';
import { S3ObjectStore } from '../../lambdas/stores/s3-lake.ts';
import { createAwsClients, createTestBucket } from '../support/aws-clients.ts';

const DIR = 'raw/zepp/band_data/user-42/';

/** A band_data response for a window whose rows are the comma list in its text. */
function response(window: string, keys: string, fetchedAt: number, name = window): RawRecord {
  const [from, to] = window.split('_') as [string, string];
  return {
    source: 'zepp',
    endpoint: 'band_data',
    userId: '42',
    key: `${DIR}${from.slice(0, 7)}/${name}.json.gz`,
    url: '/v1/data/band_data.json',
    status: 200,
    fetchedAt,
    text: keys,
    params: { from, to },
  };
}

const keysOf = (raw: RawRecord) => new Set(raw.text.split(',').filter(Boolean));
const fetchOf = (raw: RawRecord) => ({ records: [raw], keys: () => keysOf(raw) });

async function stored(store: ObjectStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await store.list(DIR))
    out[key.slice(DIR.length)] = decodeRawRecord((await store.get(key))!.body, key).text;
  return out;
}

async function put(store: ObjectStore, raw: RawRecord): Promise<void> {
  await store.put(raw.key, encodeRawRecord(raw));
}

function cases(open: () => Promise<ObjectStore>) {
  it('writes a new window under its own key, and does not write the same response twice', async () => {
    const store = await open();
    const first = response('2026-01-01_2026-01-31', 'a,b', 1);
    expect((await storeRawFetch(store, fetchOf(first), keysOf)).map((r) => r.key)).toEqual([first.key]);
    const etag = (await store.get(first.key))!.etag;
    await storeRawFetch(store, fetchOf({ ...first, fetchedAt: 2 }), keysOf);
    expect((await store.get(first.key))!.etag).toBe(etag);
    expect(decodeRawRecord((await store.get(first.key))!.body, first.key).fetchedAt).toBe(1);
  });

  it('overwrites a response of the same window that the new one holds every row of', async () => {
    const store = await open();
    await storeRawFetch(store, fetchOf(response('2026-01-01_2026-01-31', 'a,b', 1)), keysOf);
    await storeRawFetch(store, fetchOf(response('2026-01-01_2026-01-31', 'a,b,c', 2)), keysOf);
    expect(await stored(store)).toEqual({ '2026-01/2026-01-01_2026-01-31.json.gz': 'a,b,c' });
  });

  it('keeps a response of the same window that holds rows the new one lacks, the new one beside it', async () => {
    const store = await open();
    await storeRawFetch(store, fetchOf(response('2026-01-01_2026-01-31', 'a,b', 1)), keysOf);
    const empty = await storeRawFetch(store, fetchOf(response('2026-01-01_2026-01-31', '', 7)), keysOf);
    expect(empty.map((r) => r.key)).toEqual([`${DIR}2026-01/2026-01-01_2026-01-31~7.json.gz`]);
    expect(await stored(store)).toEqual({
      '2026-01/2026-01-01_2026-01-31.json.gz': 'a,b',
      '2026-01/2026-01-01_2026-01-31~7.json.gz': '',
    });
  });

  it('removes older responses inside the new window that it holds every row of, and nothing else', async () => {
    const store = await open();
    const narrowCovered = response('2026-01-01_2026-01-12', 'a', 1);
    const narrowMore = response('2026-01-01_2026-01-10', 'a,x', 2);
    const wider = response('2026-01-01_2026-01-31', 'a,b', 3);
    const newer = response('2026-01-01_2026-01-05', 'a', 9);
    const legacy = { ...response('2026-01-01_2026-01-20', 'b', 4), key: `${DIR}2026-01.json.gz` };
    const otherMonth = response('2026-02-01_2026-02-03', '', 1);
    for (const r of [narrowCovered, narrowMore, wider, newer, legacy, otherMonth]) await put(store, r);
    const fetch = response('2026-01-01_2026-01-25', 'a,b,c', 5);
    await storeRawFetch(store, fetchOf(fetch), keysOf);

    const removed = await removeSupersededRaw(store, fetchOf(fetch), keysOf);

    expect(removed.sort()).toEqual([legacy.key, narrowCovered.key].sort());
    expect(Object.keys(await stored(store)).sort()).toEqual([
      '2026-01/2026-01-01_2026-01-05.json.gz', // fetched later
      '2026-01/2026-01-01_2026-01-10.json.gz', // holds x
      '2026-01/2026-01-01_2026-01-25.json.gz',
      '2026-01/2026-01-01_2026-01-31.json.gz', // a wider window
      '2026-02/2026-02-01_2026-02-03.json.gz', // another month
    ]);
  });
}

describe('raw store on the folder lake', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zepp-lake-raw-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  cases(async () => new FolderObjectStore(join(dir, String(n++))));
});

describe('raw store on the S3 stand-in', () => {
  const aws = createAwsClients();
  afterAll(() => aws.destroy());
  cases(async () => new S3ObjectStore({ client: aws.s3, bucket: await createTestBucket(aws.s3) }));
});
