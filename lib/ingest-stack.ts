// The stateless half of zepp-lake: schedules, the sync queue, the five functions, the webhook URL, alarms and
// the dashboard. It holds no data (the queues hold work for at most days), so it can be destroyed and
// redeployed; the lake, the state table and the key live in StorageStack.
//
// scheduler --> dispatcher --> queue --> sync worker --> lake bucket + state table (+ user secrets)
// vendor push --> webhook URL --> queue;  scheduler --> token refresher --> user secrets

import { ArnFormat, CfnOutput, CfnParameter, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms.ts';
import { Dashboard } from './constructs/dashboard.ts';
import { IngestFunction } from './constructs/ingest-function.ts';
import { acknowledgeWildcards, wildcardResourceFinding } from './constructs/nag-findings.ts';
import { Schedules } from './constructs/schedules.ts';
import { SyncQueue } from './constructs/sync-queue.ts';
import { WebhookEndpoint } from './constructs/webhook-endpoint.ts';
import type { LakeExports } from './storage-stack.ts';

export interface IngestStackProps extends StackProps {
  readonly stage: string;
  /** Names and ARNs of the storage stack's resources (imports of its exports, or plain strings in tests). */
  readonly lake: LakeExports;
  readonly syncEveryHours: number;
  readonly lagDays: number;
  readonly reservedConcurrency: number;
  /** Concurrent webhook invocations at most (a burst beyond it is throttled and the vendor retries). */
  readonly webhookConcurrency: number;
  /**
   * Email for alarm notifications.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * PEM public key that verifies `Huami-Signature`.
   * @default - the stack parameter `HuamiPublicKey` (empty unless given at deploy)
   */
  readonly huamiPublicKey?: string;
}

/** One secret per user under this name prefix (`zepp-lake/users/<userId>`). */
export const SECRET_PREFIX = 'zepp-lake/users/';
/** The worker's timeout; the queue's visibility timeout is derived from it. */
export const WORKER_TIMEOUT = Duration.minutes(5);

/** What the KMS grants emit (encrypted bucket, table, queue), each statement scoped to the one lake key. */
const KMS_WILDCARDS = [
  {
    finding: 'Action::kms:GenerateDataKey*',
    reason: 'emitted by the KMS grants (encrypted bucket, table, queue); the statement is scoped to the one lake key',
  },
  {
    finding: 'Action::kms:ReEncrypt*',
    reason: 'emitted by the KMS grants (encrypted bucket, table, queue); the statement is scoped to the one lake key',
  },
];

export class IngestStack extends Stack {
  public readonly dispatcher: IngestFunction;
  public readonly worker: IngestFunction;
  public readonly tokenRefresher: IngestFunction;
  public readonly replay: IngestFunction;
  public readonly webhook: IngestFunction;
  public readonly syncQueue: SyncQueue;
  public readonly schedules: Schedules;
  public readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: IngestStackProps) {
    super(scope, id, {
      description: `zepp-lake ${props.stage}: schedules, queue, functions, webhook, alarms (stateless)`,
      ...props,
    });
    const { key, lakeBucket, stateTable } = this.importLake(props.lake);
    this.syncQueue = new SyncQueue(this, 'SyncQueue', { encryptionKey: key, consumerTimeout: WORKER_TIMEOUT });
    const { queue, deadLetterQueue } = this.syncQueue;
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'this queue is the dead-letter queue of the sync queue; a dead-letter queue needs none of its own',
    });

    const environment = {
      LAKE_BUCKET: lakeBucket.bucketName,
      STATE_TABLE: props.lake.tableName,
      // An ARN is accepted wherever AWS asks for a KeyId, and it is unambiguous across accounts.
      KMS_KEY_ID: key.keyArn,
      QUEUE_URL: queue.queueUrl,
      LAG_DAYS: String(props.lagDays),
      SECRET_PREFIX,
    };

    const functions = this.createFunctions(props, environment);
    this.dispatcher = functions.dispatcher;
    this.worker = functions.worker;
    this.tokenRefresher = functions.tokenRefresher;
    this.replay = functions.replay;
    this.webhook = functions.webhook;

    // The worker consumes the queue; failed messages come back one by one (partial batch response).
    this.worker.fn.addEventSource(
      new eventSources.SqsEventSource(queue, {
        batchSize: 2,
        reportBatchItemFailures: true,
        maxConcurrency: Math.max(2, props.reservedConcurrency),
      }),
    );

    // ---- grants: each function gets what its job needs, through grant*() only.
    this.grantLake(lakeBucket);
    this.grantStateAndQueue(stateTable, queue);
    this.grantSecretsAndKey(key);
    // ---- cdk-nag: the wildcards those grants produce, each with why it is acceptable
    this.acknowledgeGrantWildcards(props.lake);

    const webhookEndpoint = new WebhookEndpoint(this, 'WebhookEndpoint', { fn: this.webhook.fn });
    this.schedules = this.createSchedules(props, key);
    this.alarms = this.createMonitoring(props, key);

    new CfnOutput(this, 'WebhookUrl', {
      description: 'register this URL as the Huami Web API subscription callback',
      value: webhookEndpoint.url.url,
    });
    new CfnOutput(this, 'SyncQueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'ReplayFunctionName', { value: this.replay.fn.functionName });
  }

  /** The storage stack's key, bucket and table. */
  private importLake(lake: LakeExports) {
    // Imported by name and ARN, so this stack depends on the storage stack only through its named exports.
    const key = kms.Key.fromKeyArn(this, 'LakeKey', lake.keyArn);
    const lakeBucket = s3.Bucket.fromBucketAttributes(this, 'LakeBucket', {
      bucketName: lake.bucketName,
      bucketArn: lake.bucketArn,
      encryptionKey: key,
    });
    const stateTable = dynamodb.Table.fromTableAttributes(this, 'StateTable', {
      tableArn: lake.tableArn,
      encryptionKey: key,
    });

    return { key, lakeBucket, stateTable };
  }

  private createFunctions(props: IngestStackProps, environment: Readonly<Record<string, string>>) {
    const dispatcher = new IngestFunction(this, 'Dispatcher', {
      entry: 'lambdas/handlers/dispatcher.ts',
      description: 'zepp-lake: plans one sync message per user x stream x window',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment,
    });
    const worker = new IngestFunction(this, 'SyncWorker', {
      entry: 'lambdas/handlers/sync-worker.ts',
      usesParquet: true,
      description: 'zepp-lake: fetches one window from the vendor API and merges it into the lake',
      timeout: WORKER_TIMEOUT,
      memorySize: 1024,
      // Caps how many users are fetched at once, so the vendor API is not flooded (and 429s stay rare).
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment,
    });
    const tokenRefresher = new IngestFunction(this, 'TokenRefresher', {
      entry: 'lambdas/handlers/token-refresher.ts',
      description: 'zepp-lake: refreshes vendor tokens in Secrets Manager before they expire',
      timeout: Duration.minutes(2),
      memorySize: 256,
      environment,
    });
    const replay = new IngestFunction(this, 'Replay', {
      entry: 'lambdas/handlers/replay.ts',
      usesParquet: true,
      description: 'zepp-lake: rebuilds tables/ from raw/ without calling the vendor API (invoke by hand)',
      timeout: Duration.minutes(15),
      memorySize: 2048,
      environment,
    });
    const huamiPublicKey =
      props.huamiPublicKey ??
      new CfnParameter(this, 'HuamiPublicKey', {
        type: 'String',
        default: '',
        description: 'PEM public key of the Huami Web API push signatures (empty: every push is rejected)',
      }).valueAsString;
    const webhook = new IngestFunction(this, 'Webhook', {
      entry: 'lambdas/handlers/webhook.ts',
      description: 'zepp-lake: verifies and de-duplicates vendor push notifications, queues a sync',
      // The vendor wants an answer within 2 s; anything slower is already a failure.
      timeout: Duration.seconds(10),
      memorySize: 256,
      // A public URL: a flood of pushes (or of forged ones, each rejected but still an invocation) must not take
      // the account's whole concurrency or run up the bill; a throttled push is retried by the vendor.
      reservedConcurrentExecutions: props.webhookConcurrency,
      environment: { ...environment, HUAMI_PUBLIC_KEY: huamiPublicKey },
    });

    return { dispatcher, worker, tokenRefresher, replay, webhook };
  }

  private grantLake(lakeBucket: s3.IBucket): void {
    // Lake prefixes: the worker reads and writes raw responses and tables (removing superseded raw responses);
    // replay reads raw/ and rewrites tables/, deleting month objects that no raw response supports. No function
    // may delete an object *version* (s3:DeleteObjectVersion): the bucket's versions are the last line of defence
    // against a bad write, so the grants are spelled out instead of grantReadWrite (whose s3:DeleteObject* has it).
    for (const prefix of ['tables/*', 'raw/*']) {
      lakeBucket.grantRead(this.worker.fn, prefix);
      lakeBucket.grantPut(this.worker.fn, prefix);
    }
    lakeBucket.grantRead(this.replay.fn, 'raw/*');
    lakeBucket.grantRead(this.replay.fn, 'tables/*');
    lakeBucket.grantPut(this.replay.fn, 'tables/*');
    iam.Grant.addToPrincipal({
      grantee: this.replay.fn,
      actions: ['s3:DeleteObject'],
      resourceArns: [lakeBucket.arnForObjects('tables/*')],
    });
    // The worker removes a raw response once a newer, wider one of the same window holds every row it gave
    // (docs/decisions/0008-raw-keyed-by-window.md).
    iam.Grant.addToPrincipal({
      grantee: this.worker.fn,
      actions: ['s3:DeleteObject'],
      resourceArns: [lakeBucket.arnForObjects('raw/*')],
    });
    // A signed notification that is not JSON is kept for inspection, and nothing else is written by the webhook.
    lakeBucket.grantPut(this.webhook.fn, 'raw/webhook-rejects/*');
  }

  private grantStateAndQueue(stateTable: dynamodb.ITable, queue: sqs.IQueue): void {
    stateTable.grantReadData(this.dispatcher.fn);
    for (const { fn } of [this.worker, this.tokenRefresher, this.replay]) stateTable.grantReadWriteData(fn);
    // The webhook reads a user's profile and keeps its notification records (Powertools idempotency: a
    // conditional put, an update to completed, a delete when the enqueue failed, a read of a record it collides with).
    stateTable.grant(
      this.webhook.fn,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );

    queue.grantSendMessages(this.dispatcher.fn);
    queue.grantSendMessages(this.webhook.fn);
  }

  private grantSecretsAndKey(key: kms.IKey): void {
    // Secrets are created per user at login, so there is no Secret construct to grant on. fromSecretNameV2 with
    // the name `zepp-lake/users/*` gives grants on `secret:zepp-lake/users/*-??????` (the `-??????` is the random
    // suffix Secrets Manager appends to every secret ARN): the users' secrets and nothing else.
    const userSecrets = secretsmanager.Secret.fromSecretNameV2(this, 'UserSecrets', `${SECRET_PREFIX}*`);
    userSecrets.grantRead(this.worker.fn);
    // The worker re-mints an expired token mid-sync and must save it, or the next run starts from a dead token.
    userSecrets.grantWrite(this.worker.fn);
    userSecrets.grantRead(this.tokenRefresher.fn);
    userSecrets.grantWrite(this.tokenRefresher.fn);

    for (const { fn } of [this.worker, this.tokenRefresher, this.replay, this.webhook]) key.grantEncryptDecrypt(fn);
  }

  private acknowledgeGrantWildcards(lake: LakeExports): void {
    for (const fn of [this.dispatcher, this.worker, this.tokenRefresher, this.replay, this.webhook]) {
      acknowledgeWildcards(fn.role, KMS_WILDCARDS);
    }
    const s3ActionWildcards = ['s3:Abort*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
      finding: `Action::${action}`,
      reason: 'the action groups of bucket.grantRead/grantPut, limited to the lake bucket and the prefixes below',
    }));
    const lakePrefix = (prefix: string, why: string) => ({
      finding: wildcardResourceFinding(this, `${lake.bucketArn}/${prefix}*`),
      reason: `the lake prefix ${prefix}: ${why}; object keys (table, month, user) are only known at run time`,
    });
    acknowledgeWildcards(this.worker.role, [
      ...s3ActionWildcards,
      lakePrefix('tables/', 'the worker merges rows into month objects'),
      lakePrefix('raw/', 'the worker stores every raw API response before decoding it'),
    ]);
    acknowledgeWildcards(this.webhook.role, [
      {
        finding: 'Action::s3:Abort*',
        reason: 'emitted by bucket.grantPut (abort a multipart upload of the same object); limited to the prefix below',
      },
      lakePrefix(
        'raw/webhook-rejects/',
        'the webhook keeps signed but malformed notifications for inspection (put only)',
      ),
    ]);
    acknowledgeWildcards(this.replay.role, [
      ...s3ActionWildcards,
      lakePrefix('tables/', 'replay rewrites the month objects and removes those no raw response supports'),
      lakePrefix('raw/', 'replay reads the stored raw responses (read-only)'),
    ]);
    const secretsWildcard = {
      // The ARN the secret grants above produce (`arnForPolicies` is not public on ISecret).
      finding: wildcardResourceFinding(
        this,
        this.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${SECRET_PREFIX}*-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
      reason: 'one secret per user, created at login: the grant covers exactly the zepp-lake/users/ name prefix',
    };
    acknowledgeWildcards(this.worker.role, [secretsWildcard]);
    acknowledgeWildcards(this.tokenRefresher.role, [secretsWildcard]);
  }

  private createSchedules(props: IngestStackProps, key: kms.IKey): Schedules {
    const schedules = new Schedules(this, 'Schedules', {
      dispatcher: this.dispatcher.fn,
      tokenRefresher: this.tokenRefresher.fn,
      syncEveryHours: props.syncEveryHours,
      encryptionKey: key,
    });
    // The dead-letter queue's key: what queue.grantSendMessages grants a sender of a KMS-encrypted queue.
    acknowledgeWildcards(schedules.role, KMS_WILDCARDS);
    Validations.of(schedules.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "this queue is the schedules' dead-letter queue; a dead-letter queue needs none of its own",
    });
    // The scheduler roles live at stack level (one per target function, created by LambdaInvoke).
    acknowledgeWildcards(
      this,
      [this.dispatcher, this.tokenRefresher].map(({ fn }) => ({
        finding: wildcardResourceFinding(this, `${fn.functionArn}:*`),
        reason: `fn.grantInvoke adds ${fn.node.path}'s versions and aliases (arn:*); the scheduler invokes only that function`,
      })),
    );

    return schedules;
  }

  /** The alarms (returned) and the dashboard that shows them. */
  private createMonitoring(props: IngestStackProps, key: kms.IKey): Alarms {
    const { queue, deadLetterQueue } = this.syncQueue;
    const alarms = new Alarms(this, 'Alarms', {
      encryptionKey: key,
      ...(props.alarmEmail !== undefined ? { alarmEmail: props.alarmEmail } : {}),
      worker: this.worker.fn,
      workerDeadLetterQueue: deadLetterQueue,
      scheduleDeadLetterQueue: this.schedules.deadLetterQueue,
      scheduleGroup: this.schedules.group,
      webhook: this.webhook.fn,
    });

    new Dashboard(this, 'Dashboard', {
      functions: {
        dispatcher: this.dispatcher.fn,
        'sync-worker': this.worker.fn,
        'token-refresher': this.tokenRefresher.fn,
        replay: this.replay.fn,
        webhook: this.webhook.fn,
      },
      queue,
      deadLetterQueue,
      alarms: Object.values(alarms.alarms),
    });

    return alarms;
  }
}
