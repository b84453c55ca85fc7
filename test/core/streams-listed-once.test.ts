// The streams are listed once, in lambdas/core/streams.ts. A second list of stream names is where the next stream
// would be forgotten: this fails when one appears anywhere in the product (lambdas/, sim/, bench/, lib/, bin/).
// A "list" is two or more stream names as string literals one after the other (an array, a Set, the arguments of
// a call); a vendor's own mapping of one stream to its endpoint or event type (`stress: 'all_day_stress'`) is that
// stream's fetch, not a list. The chaos suite's picks of a few streams to crash in are the test's choices, and
// tests name the streams they expect, so test/ and chaos/ are not scanned.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_GROUPS, STREAM_TABLES, STREAMS } from '../../lambdas/core/streams.ts';
import { rawDecoderOf, SOURCE_IDS } from '../../lambdas/sources/registry.ts';
import { streamsOfEndpoints } from '../../lambdas/sources/source.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCANNED = ['lambdas', 'sim', 'bench', 'lib', 'bin'];
// The tables are listed once too, in the schema registry: four of them have their stream's name.
const REGISTRIES = new Set(['lambdas/core/streams.ts', 'lambdas/core/schema-registry.ts']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'node22') out.push(...sourceFiles(p));
    else if (/\.(ts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Runs of two or more stream names written as string literals, separated by commas only. */
function streamListsIn(text: string, streams: readonly string[]): string[] {
  const name = `['"\`](?:${streams.join('|')})['"\`]`;
  const list = new RegExp(`${name}(?:\\s*,\\s*${name})+`, 'g');
  return text.match(list) ?? [];
}

describe('the streams, listed once', () => {
  it('finds a list of stream names where one is written (the scanner itself)', () => {
    expect(streamListsIn(`const a = ['band', 'workouts'];`, STREAMS)).toEqual([`'band', 'workouts'`]);
    expect(streamListsIn(`pick('stress',\n  "spo2", 'pai')`, STREAMS)).toEqual([`'stress',\n  "spo2", 'pai'`]);
    expect(streamListsIn(`{ stress: 'all_day_stress', spo2: 'blood_oxygen' }`, STREAMS)).toEqual([]);
    expect(streamListsIn(`['band']`, STREAMS)).toEqual([]);
  });

  it('has no second list of stream names anywhere in the product', () => {
    const found: string[] = [];
    for (const dir of SCANNED) {
      let files: string[];
      try {
        files = sourceFiles(join(ROOT, dir));
      } catch {
        continue; // a folder this checkout does not have
      }
      for (const file of files) {
        const rel = relative(ROOT, file);
        if (REGISTRIES.has(rel)) continue;
        for (const hit of streamListsIn(readFileSync(file, 'utf8'), STREAMS)) found.push(`${rel}: ${hit}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('derives the tables, the message groups and each source`s streams from the one list', () => {
    expect(Object.keys(STREAM_TABLES)).toEqual([...STREAMS]);
    expect(Object.values(STREAM_GROUPS).flat().sort()).toEqual([...STREAMS].sort());
    // Each source offers exactly the streams its endpoints feed; every one of them is a registered stream.
    for (const id of SOURCE_IDS) {
      const reader = rawDecoderOf(id);
      expect(reader, id).toBeDefined();
      const offered = streamsOfEndpoints(reader!.endpoints);
      expect(offered.length, id).toBeGreaterThan(0);
      for (const s of offered) expect(STREAMS).toContain(s);
    }
    // The official API documents no SpO2 or readiness resource; Zepp's app API has every stream.
    expect(streamsOfEndpoints(rawDecoderOf('zepp')!.endpoints)).toEqual([...STREAMS]);
    expect(streamsOfEndpoints(rawDecoderOf('huami-open')!.endpoints)).toEqual(['band', 'workouts', 'stress', 'pai']);
  });
});
