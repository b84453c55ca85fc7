// The CDK app: reads CDK context and the CDK_DEFAULT_* environment once, validates them, and composes the
// stateful StorageStack and the stateless IngestStack. The only CDK code that reads process.env.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppConfig, ConfigError, parseConfig } from '../lib/config.ts';
import { IngestStack } from '../lib/ingest-stack.ts';
import { StorageStack } from '../lib/storage-stack.ts';

const CONTEXT_KEYS = [
  'stage',
  'syncEveryHours',
  'lagDays',
  'alarmEmail',
  'reservedConcurrency',
  'webhookConcurrency',
  'huamiPublicKey',
];

export interface ZeppLakeApp {
  readonly config: AppConfig;
  readonly storage: StorageStack;
  readonly ingest: IngestStack;
}

/** Adds the zepp-lake stacks (and the cdk-nag AwsSolutions checks) to `app`, configured from its context. */
export function composeApp(app: App, env: Environment = {}): ZeppLakeApp {
  const config = parseConfig(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)])));
  const { stage } = config;

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Tags.of(app).add('project', 'zepp-lake');
  Tags.of(app).add('stage', stage);

  const storage = new StorageStack(app, `zepp-lake-${stage}-storage`, { stage, env });
  const ingest = new IngestStack(app, `zepp-lake-${stage}-ingest`, {
    stage,
    env,
    lake: storage.exports,
    syncEveryHours: config.syncEveryHours,
    lagDays: config.lagDays,
    reservedConcurrency: config.reservedConcurrency,
    webhookConcurrency: config.webhookConcurrency,
    ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
    ...(config.huamiPublicKey !== undefined ? { huamiPublicKey: config.huamiPublicKey } : {}),
  });
  // The lake is imported by export name, which CloudFormation does not see as a reference: order the deploys.
  ingest.addStackDependency(storage, 'imports the lake bucket, state table and key');
  return { config, storage, ingest };
}

/** Account and region only when the CLI knows them: without credentials the stacks stay environment-agnostic. */
function environmentFromCli(): Environment {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}

/** True when this file is the program (`node --import tsx bin/app.ts`), not a module imported by a test. */
function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isMain()) {
  try {
    composeApp(new App(), environmentFromCli());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
