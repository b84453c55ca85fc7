// Global test setup: starts the real local stand-ins (S3, DynamoDB, Secrets Manager) once per run, hands
// their endpoints to the test files through `provide` (read them with test/support/aws-env.ts) and stops
// them by their own handles. Stand-ins that are still running when this process ends are killed on exit.

import type { TestProject } from 'vitest/node';
import { buildTestBundles, TEST_BUNDLE_DIR } from './cli-bundle.ts';
import { awsEnvironmentFor, type StandIns, startStandIns } from './stand-ins.ts';

let standIns: StandIns | undefined;

export async function setup(project: TestProject): Promise<void> {
  await buildTestBundles();
  // The chaos harness starts its child scripts from these bundles when it sees this (chaos/child-entry.ts).
  process.env.ZEPP_LAKE_TEST_BUNDLES = TEST_BUNDLE_DIR;
  standIns = await startStandIns();
  project.provide('awsStandIns', standIns.endpoints);
  // Workers forked after this point inherit the variables too; aws-env.ts sets them again in each worker
  // from the provided endpoints so tests do not depend on how the pool passes the environment.
  Object.assign(process.env, awsEnvironmentFor(standIns.endpoints));
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

export async function teardown(): Promise<void> {
  const running = standIns;
  standIns = undefined;
  await running?.stop();
}
