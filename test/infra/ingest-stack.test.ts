import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../lib/constructs/metric-names.ts';
import { SCHEDULE_INPUT } from '../../lib/constructs/schedules.ts';
import type { IngestStack } from '../../lib/ingest-stack.ts';
import { asArray, composeTestApp, policyStatements } from './infra-fixture.ts';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties: Json }>;

const PEM =
  '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----\n';

// One synthesized app per configuration, shared by every assertion in this file.
let ingest: IngestStack;
let template: Template;
let resources: Resources;
let custom: Template;

beforeAll(() => {
  ({ ingest } = composeTestApp({ stage: 'prod' }));
  template = Template.fromStack(ingest);
  resources = template.toJSON().Resources;
  const configured = composeTestApp({
    stage: 'staging',
    syncEveryHours: '1',
    lagDays: 0,
    reservedConcurrency: 3,
    webhookConcurrency: 7,
    alarmEmail: 'me@example.com',
    huamiPublicKey: PEM,
  });
  custom = Template.fromStack(configured.ingest);
});

const importOf = (name: string) => ({ 'Fn::ImportValue': `zepp-lake-prod-storage:${name}` });
const logicalIdOf = (construct: { node: { defaultChild?: unknown } }): string =>
  ingest.getLogicalId(construct.node.defaultChild as never);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('IngestStack and StorageStack', () => {
  it('are coupled only through the named exports of the storage stack', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain('Fn::GetStackOutput');
    const imports = new Set([...text.matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]));
    expect([...imports].sort()).toEqual(
      ['LakeBucketArn', 'LakeBucketName', 'LakeKeyArn', 'StateTableArn', 'StateTableName'].map(
        (name) => `zepp-lake-prod-storage:${name}`,
      ),
    );
    expect(ingest.dependencies.map((stack) => stack.stackName)).toEqual(['zepp-lake-prod-storage']);
  });
});

describe('IngestStack functions', () => {
  const functions = () => ofType('AWS::Lambda::Function');

  it('runs five functions on Node.js 22, arm64, with X-Ray tracing and an ESM bundle', () => {
    expect(functions()).toHaveLength(5);
    for (const [id, fn] of functions()) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('gives every function the Powertools settings and the lake coordinates', () => {
    for (const [id, fn] of functions()) {
      const variables = (fn.Properties.Environment as { Variables: Json }).Variables;
      expect(variables, id).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'zepp-lake',
        POWERTOOLS_METRICS_NAMESPACE: 'ZeppLake',
        LOG_LEVEL: 'INFO',
        LAKE_BUCKET: importOf('LakeBucketName'),
        STATE_TABLE: importOf('StateTableName'),
        KMS_KEY_ID: importOf('LakeKeyArn'),
        QUEUE_URL: { Ref: logicalIdOf(ingest.syncQueue.queue) },
        LAG_DAYS: '3',
        SECRET_PREFIX: 'zepp-lake/users/',
      });
    }
  });

  it('writes each function log to its own log group with a retention', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(5);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
    for (const [id, fn] of functions()) {
      expect(fn.Properties.LoggingConfig, id).toMatchObject({ LogGroup: { Ref: expect.any(String) } });
    }
  });

  it('reserves the configured concurrency for the sync worker and the webhook only', () => {
    const reserved = (t: Template, fn: { fn: unknown }) =>
      (t.toJSON().Resources as Resources)[
        ingest.getLogicalId((fn.fn as { node: { defaultChild: never } }).node.defaultChild)
      ]?.Properties.ReservedConcurrentExecutions;
    expect(reserved(template, ingest.worker)).toBe(2);
    expect(reserved(template, ingest.webhook)).toBe(5);
    expect(functions().filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined)).toHaveLength(2);
    expect(reserved(custom, ingest.worker)).toBe(3);
    expect(reserved(custom, ingest.webhook)).toBe(7);
  });

  it('takes LAG_DAYS from the configuration', () => {
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LAG_DAYS: '0' }) },
    });
  });

  it('uses no AWSLambdaBasicExecutionRole: each role writes only to its own log group', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
  });
});

describe('IngestStack sync queue', () => {
  const queueId = () => logicalIdOf(ingest.syncQueue.queue);
  const dlqId = () => logicalIdOf(ingest.syncQueue.deadLetterQueue);

  it('encrypts both queues with the lake key', () => {
    for (const id of [queueId(), dlqId()]) {
      expect(resources[id]?.Properties.KmsMasterKeyId, id).toEqual(importOf('LakeKeyArn'));
    }
  });

  it('moves a message to the dead-letter queue after 5 receives', () => {
    expect(resources[queueId()]?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('hides a received message for six times the worker timeout', () => {
    const worker = resources[logicalIdOf(ingest.worker.fn)];
    expect(resources[queueId()]?.Properties.VisibilityTimeout).toBe((worker?.Properties.Timeout as number) * 6);
  });

  it('feeds the worker small batches with partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId(), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(ingest.worker.fn) },
      BatchSize: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('denies every queue action over plain HTTP, on all three queues', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toHaveLength(3);
    for (const id of queues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('IngestStack schedules', () => {
  const scheduleDlq = () => ({ 'Fn::GetAtt': [logicalIdOf(ingest.schedules.deadLetterQueue), 'Arn'] });

  it('syncs every configured number of hours and refreshes tokens daily', () => {
    const expressions = ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties.ScheduleExpression);
    expect(expressions.sort()).toEqual(['rate(1 day)', 'rate(6 hours)']);
    custom.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it.each([
    ['sync', () => ingest.dispatcher, SCHEDULE_INPUT.sync],
    ['token refresh', () => ingest.tokenRefresher, SCHEDULE_INPUT.tokenRefresh],
  ] as const)('the %s schedule has a flexible window, a retry policy and a dead-letter queue', (_, fn, input) => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: {
        Arn: { 'Fn::GetAtt': [logicalIdOf(fn().fn), 'Arn'] },
        Input: JSON.stringify(input),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: scheduleDlq() },
      },
    });
  });
});

describe('IngestStack webhook', () => {
  it('is a Function URL without IAM auth (the code verifies Huami-Signature)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf(ingest.webhook.fn), 'Arn'] },
    });
  });

  it('reads HUAMI_PUBLIC_KEY from the HuamiPublicKey parameter unless the context gives it', () => {
    expect(template.toJSON().Parameters.HuamiPublicKey).toMatchObject({ Type: 'String', Default: '' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HUAMI_PUBLIC_KEY: { Ref: 'HuamiPublicKey' } }) },
    });
    expect(custom.toJSON().Parameters?.HuamiPublicKey).toBeUndefined();
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HUAMI_PUBLIC_KEY: PEM.trim() }) },
    });
  });
});

describe('IngestStack IAM', () => {
  const statements = () => policyStatements(template);
  const policyOf = (fn: { role: { node: { findChild(id: string): { node: { defaultChild?: unknown } } } } }) =>
    ingest.getLogicalId(fn.role.node.findChild('DefaultPolicy').node.defaultChild as never);
  const secretsArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':secret:zepp-lake/users/*-??????',
      ],
    ],
  };
  const actionsOf = (s: Json) => asArray(s.Action as string | string[]);
  const resourcesOf = (s: Json) => asArray(s.Resource as unknown);

  it('allows a `*` resource only for the X-Ray actions', () => {
    for (const { policy, statement } of statements()) {
      if (resourcesOf(statement).includes('*')) {
        expect(
          actionsOf(statement).every((a) => a.startsWith('xray:')),
          policy,
        ).toBe(true);
      }
    }
  });

  it('scopes secret access to zepp-lake/users/ secrets: read and write for the worker (it saves re-minted tokens) and the refresher', () => {
    const secretStatements = statements().filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('secretsmanager:')),
    );
    for (const { statement } of secretStatements) expect(resourcesOf(statement)).toEqual([secretsArn]);
    const actionsByPolicy = (policy: string) =>
      secretStatements.filter((s) => s.policy === policy).flatMap((s) => actionsOf(s.statement));

    expect(new Set(secretStatements.map((s) => s.policy))).toEqual(
      new Set([policyOf(ingest.worker), policyOf(ingest.tokenRefresher)]),
    );
    for (const fn of [ingest.worker, ingest.tokenRefresher]) {
      expect(actionsByPolicy(policyOf(fn))).toEqual(
        expect.arrayContaining(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']),
      );
      expect(actionsByPolicy(policyOf(fn))).not.toContain('secretsmanager:DeleteSecret');
    }
  });

  it('lets the worker read and write the lake only under tables/ and raw/', () => {
    const bucketArn = importOf('LakeBucketArn');
    const objectArn = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}`]] });
    const s3 = statements().filter(
      (s) => s.policy === policyOf(ingest.worker) && actionsOf(s.statement).some((a) => a.startsWith('s3:')),
    );
    expect(s3.flatMap((s) => resourcesOf(s.statement))).toEqual(
      expect.arrayContaining([bucketArn, objectArn('tables/*'), objectArn('raw/*')]),
    );
    for (const { statement } of s3) {
      for (const resource of resourcesOf(statement)) {
        expect([bucketArn, objectArn('tables/*'), objectArn('raw/*')]).toContainEqual(resource);
      }
    }
    expect(s3.flatMap((s) => actionsOf(s.statement))).toContain('s3:PutObject');
  });

  it('lets no function delete an object version; replay deletes month objects, the worker superseded raw responses', () => {
    const s3Actions = (fn: { role: never }) =>
      statements()
        .filter((s) => s.policy === policyOf(fn))
        .flatMap((s) => actionsOf(s.statement).map((a) => ({ a, r: JSON.stringify(resourcesOf(s.statement)) })))
        .filter(({ a }) => a.startsWith('s3:'));
    for (const fn of [ingest.dispatcher, ingest.worker, ingest.tokenRefresher, ingest.replay, ingest.webhook]) {
      for (const { a } of s3Actions(fn as never)) {
        expect(a).not.toMatch(/^s3:Delete(Object\*|ObjectVersion|\*)/);
      }
    }
    const deletes = (fn: unknown) => s3Actions(fn as never).filter(({ a }) => a === 's3:DeleteObject');
    expect(deletes(ingest.worker).map(({ r }) => r)).toEqual([expect.stringContaining('/raw/*')]);
    expect(deletes(ingest.webhook)).toEqual([]);
    expect(deletes(ingest.replay).map(({ r }) => r)).toEqual([expect.stringContaining('/tables/*')]);
  });

  it('gives the webhook only the state-table actions it calls, and only send on the queue', () => {
    const mine = statements().filter((s) => s.policy === policyOf(ingest.webhook));
    const dynamo = mine.flatMap((s) => actionsOf(s.statement)).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    const sqs = mine.flatMap((s) => actionsOf(s.statement)).filter((a) => a.startsWith('sqs:'));
    expect(sqs).toContain('sqs:SendMessage');
    expect(sqs.some((a) => /Receive|Delete|Purge/.test(a))).toBe(false);
    expect(mine.flatMap((s) => actionsOf(s.statement)).some((a) => a.startsWith('secretsmanager:'))).toBe(false);
  });

  it('lets the scheduler write its KMS-encrypted dead-letter queue (send and the key)', () => {
    const roleId = ingest.getLogicalId(ingest.schedules.role.node.defaultChild as never);
    const policies = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId),
    );
    const stmts = policies.flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Json[] }).Statement);
    const dlq = { 'Fn::GetAtt': [logicalIdOf(ingest.schedules.deadLetterQueue), 'Arn'] };
    expect(
      stmts.some((s) => actionsOf(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource) === JSON.stringify(dlq)),
    ).toBe(true);
    const keyActions = stmts
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(importOf('LakeKeyArn')))
      .flatMap(actionsOf);
    expect(keyActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    for (const id of ['Sync', 'TokenRefresh'] as const) {
      const schedule = ingest.schedules[id === 'Sync' ? 'sync' : 'tokenRefresh'];
      const props = (resources[ingest.getLogicalId(schedule.node.defaultChild as never)]?.Properties ?? {}) as Json;
      expect((props.Target as Json).RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    }
  });

  it('lets replay only read raw/ and rewrite tables/', () => {
    const s3 = statements().filter(
      (s) => s.policy === policyOf(ingest.replay) && actionsOf(s.statement).some((a) => a.startsWith('s3:')),
    );
    const writes = s3.filter((s) => actionsOf(s.statement).includes('s3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    for (const { statement } of writes) {
      expect(JSON.stringify(resourcesOf(statement))).not.toContain('/raw/*');
    }
    expect(JSON.stringify(s3.map((s) => s.statement.Resource))).toContain('/raw/*');
  });

  it('gives the dispatcher read-only access to the state table and no S3 or secrets access', () => {
    const mine = statements().filter((s) => s.policy === policyOf(ingest.dispatcher));
    const actions = mine.flatMap((s) => actionsOf(s.statement));
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions.some((a) => a.startsWith('s3:') || a.startsWith('secretsmanager:'))).toBe(false);
    expect(actions).toContain('sqs:SendMessage');
  });
});

describe('IngestStack alarms', () => {
  const topicRef = () => ({ Ref: logicalIdOf(ingest.alarms.topic) });
  const alarmWith = (props: Json) =>
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...props, AlarmActions: [topicRef()] });

  it('sends to a KMS-encrypted, TLS-only topic, with an email subscription only when configured', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: importOf('LakeKeyArn') });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    custom.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'me@example.com' });
  });

  it('alarms when the sync dead-letter queue holds a message', () => {
    alarmWith({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(ingest.syncQueue.deadLetterQueue), 'QueueName'] } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('alarms on worker errors', () => {
    alarmWith({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(ingest.worker.fn) } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it.each(['AuthFailed', 'WebhookSignatureRejected'])('alarms when the custom metric %s is above 0', (metricName) => {
    alarmWith({
      Namespace: 'ZeppLake',
      MetricName: metricName,
      Dimensions: [{ Name: 'service', Value: 'zepp-lake' }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('alarms when no sync succeeded for 2 days, counting silence as failure', () => {
    alarmWith({
      Namespace: 'ZeppLake',
      MetricName: 'SyncSucceeded',
      Period: 86400,
      EvaluationPeriods: 2,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms when the dispatcher counts anyone without a clean sync for 2 days, keeping that state between runs', () => {
    alarmWith({
      Namespace: 'ZeppLake',
      MetricName: 'UsersStale',
      Dimensions: [{ Name: 'service', Value: 'zepp-lake' }],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
  });

  it('alarms on scheduler target errors and on the schedule dead-letter queue', () => {
    alarmWith({
      Namespace: 'AWS/Scheduler',
      MetricName: 'TargetErrorCount',
      Dimensions: [{ Name: 'ScheduleGroup', Value: ingest.resolve(ingest.schedules.group.scheduleGroupName) }],
    });
    alarmWith({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(ingest.schedules.deadLetterQueue), 'QueueName'] } },
      ],
    });
  });

  it('alarms on webhook 5xx answers', () => {
    alarmWith({
      Namespace: 'AWS/Lambda',
      MetricName: 'Url5xxCount',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(ingest.webhook.fn) } }],
    });
  });
});

describe('IngestStack dashboard', () => {
  it('graphs rows per stream, API calls and retries, durations and ledger failures', () => {
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('{ZeppLake,service,stream} MetricName=\\\\\\"RowsWritten\\\\\\"');
    for (const metric of ['ApiCalls', 'ApiRetries', 'LedgerFailed', 'Duration']) expect(body).toContain(metric);
  });

  it('graphs every custom metric the handlers emit', () => {
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of Object.values(METRIC)) expect(body, metric).toContain(metric);
  });
});
