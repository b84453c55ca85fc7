// Storage faults: the lake's own services misbehave. Faults are injected at the SDK boundary (the clients'
// `send`) with the exception shapes the SDK raises once its own retries are spent, so the adapters' error
// mapping (S3StoreError, WriteConflictError, StateStoreError) runs for real. A run that throws is tried
// again while the fault lasts, as SQS redelivers the message, then once more after it is cleared.

import {
  conflictingWrites,
  describeSyncs,
  faultThenHeal,
  refuseWrites,
  syncAttempts,
  throttlingDynamo,
} from '../harness.ts';
import type { Scenario } from '../scenario.ts';

const RUNS = 11;

const s3RefusesWrites: Scenario = {
  name: 's3-refuses-writes',
  group: 'storage',
  description: 'The S3 stand-in answers SlowDown (503) to every write for a while, starting at a seeded write.',
  runs: RUNS,
  run: (seed, env) => {
    const after = (seed * 7) % 60;
    const count = 1 + ((seed * 13) % 40);
    return faultThenHeal({
      seed,
      env,
      tag: 's3-refuses',
      runtime: { s3Faults: refuseWrites({ after, count }) },
      async fault(ctx) {
        const syncs = await syncAttempts(ctx, 3);
        const refused = ctx.rt.s3Faults?.fired.SlowDown ?? 0;
        return {
          syncs,
          note: `writes ${after + 1}..${after + count} refused (${refused} hit); ${describeSyncs(syncs)}`,
        };
      },
    });
  },
};

const s3WriteConflict: Scenario = {
  name: 's3-write-conflict',
  group: 'storage',
  description:
    'Conditional writes of month objects lose races (412 PreconditionFailed, 409 ConditionalRequestConflict), some more often than the writer retries.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 's3-conflict',
      runtime: {
        s3Faults: conflictingWrites({ rate: 0.15, stubborn: { keys: seed % 3 === 0 ? 0 : 1, times: 7 }, seed }),
      },
      async fault(ctx) {
        const syncs = await syncAttempts(ctx, 2);
        const fired = ctx.rt.s3Faults?.fired ?? {};
        const lost = (fired.PreconditionFailed ?? 0) + (fired.ConditionalRequestConflict ?? 0);
        return { syncs, note: `${lost} conditional writes lost; ${describeSyncs(syncs)}` };
      },
    }),
};

const dynamoThrottling: Scenario = {
  name: 'dynamo-throttling',
  group: 'storage',
  description:
    'DynamoDB throttles (ProvisionedThroughputExceededException) a share of state calls: lease, cursor, ledger.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 'dynamo-throttle',
      runtime: { dynamoFaults: throttlingDynamo({ rate: 0.04, after: seed % 20, seed }) },
      async fault(ctx) {
        const syncs = await syncAttempts(ctx, 3);
        const n = ctx.rt.dynamoFaults?.fired.ProvisionedThroughputExceededException ?? 0;
        return { syncs, note: `${n} throttled calls; ${describeSyncs(syncs)}` };
      },
    }),
};

export const storageFaultScenarios: Scenario[] = [s3RefusesWrites, s3WriteConflict, dynamoThrottling];
