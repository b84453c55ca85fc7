import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalRuntime } from '../lambdas/cli/local-runtime.ts';
import { syncUsers } from '../lambdas/cli/sync-command.ts';
import { naturalKeyOf, tableDef } from '../lambdas/core/schema-registry.ts';
import { CHAOS_HTTP } from './harness.ts';
import { startVendor } from './histories/vendor.ts';

const seed = Number(process.argv[2] ?? 6);
const steps = JSON.parse(process.argv[3] ?? '[{"from":"2031-03-31","to":"2031-03-31"},{}]');
const v = await startVendor({ source: 'zepp', seed, people: 2 });
const dir = await mkdtemp(join(tmpdir(), 'p2-'));
const rt = openLocalRuntime({ lake: join(dir, 'lake'), home: join(dir, 'home') });
const p = v.people[1]!;
console.log(p);
await v.addUser(rt, p);
let t = Date.parse(`${v.today}T08:30:00Z`);
for (const s of steps) {
  t += 16 * 60_000;
  const r = await syncUsers(rt, { quiet: true, clock: () => t, http: CHAOS_HTTP, user: p.id, ...s });
  console.log(JSON.stringify(s), r[0]?.errors);
}
const truth = v.truth(p.id).stress ?? [];
const def = tableDef('stress');
const tk = new Map(truth.map((r) => [naturalKeyOf(def, r), r]));
const keys = (await rt.store.list('tables/stress/')).filter((k) => k.includes(p.id));
let n = 0;
for (const k of keys)
  for (const r of rt.codec.read('stress', (await rt.store.get(k))!.body)) {
    const want = tk.get(naturalKeyOf(def, r));
    if (!want) {
      if (n++ < 3) console.log('EXTRA', k, r);
      continue;
    }
    const diff = def.columns
      .filter((c) => JSON.stringify(r[c.name] ?? null) !== JSON.stringify(want[c.name] ?? null))
      .map((c) => `${c.name}: ${r[c.name]} vs ${want[c.name]}`);
    if (diff.length && n++ < 6) console.log(naturalKeyOf(def, r), diff);
  }
console.log('diffs', n);
await v.close();
