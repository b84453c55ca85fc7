// What wakes a person up: an SNS topic (KMS, TLS-only, optional email) and the alarms on the failure modes
// that would otherwise leave silent gaps in the lake.

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';

export interface AlarmsProps {
  readonly encryptionKey: kms.IKey;
  /**
   * Email subscribed to the alarm topic.
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly alarmEmail?: string;
  readonly worker: lambda.IFunction;
  readonly workerDeadLetterQueue: sqs.IQueue;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly webhook: lambda.IFunction;
}

/** A custom metric as the handlers emit it (Powertools adds the `service` dimension). */
export function customMetric(metricName: string, period: Duration, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });
}

const FIVE_MINUTES = Duration.minutes(5);

/** For the sparse metrics (no data point when nothing happened, so missing means fine): any count alarms. */
const ABOVE_ZERO = {
  threshold: 0,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  evaluationPeriods: 1,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
};

export class Alarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'zepp-lake alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const alarms: Record<string, cloudwatch.Alarm> = { ...syncAlarms(this, props), ...deliveryAlarms(this, props) };

    const notify = new actions.SnsAction(this.topic);
    for (const alarm of Object.values(alarms)) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
    this.alarms = alarms;
  }
}

/** The alarms on the syncs themselves: dead letters, worker errors, lost logins, nobody or somebody not syncing. */
function syncAlarms(scope: Construct, props: AlarmsProps): Record<string, cloudwatch.Alarm> {
  return {
    workerDeadLetters: new cloudwatch.Alarm(scope, 'WorkerDeadLetters', {
      alarmDescription: 'sync messages failed 5 times and sit in the dead-letter queue; read them, fix, redrive',
      metric: props.workerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      ...ABOVE_ZERO,
    }),
    workerErrors: new cloudwatch.Alarm(scope, 'WorkerErrors', {
      alarmDescription: 'the sync worker threw (whole batch failed, or it timed out)',
      metric: props.worker.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      ...ABOVE_ZERO,
    }),
    authFailed: new cloudwatch.Alarm(scope, 'AuthFailed', {
      alarmDescription: 'a user token could not be refreshed: that user must log in again (zepp-lake login)',
      metric: customMetric(METRIC.authFailed, Duration.hours(1)),
      ...ABOVE_ZERO,
    }),
    noSuccessfulSync: new cloudwatch.Alarm(scope, 'NoSuccessfulSync', {
      alarmDescription: 'no user sync has succeeded for 2 days',
      metric: customMetric(METRIC.syncSucceeded, Duration.days(1)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      // Silence is the failure here: no data point at all means nothing succeeded.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    // One person failing while the others sync leaves noSuccessfulSync quiet; this one names them (in the
    // dispatcher's log). The dispatcher emits the count, 0 included, at every scheduled run; between runs there
    // is no data, and the alarm keeps the state the last count gave it (missing data ignored).
    usersStale: new cloudwatch.Alarm(scope, 'UsersStale', {
      alarmDescription:
        'someone has had no clean sync for 2 days: the dispatcher log names them; run zepp-lake status --backend aws',
      metric: customMetric(METRIC.usersStale, Duration.hours(1), 'Maximum'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    }),
  };
}

/** The alarms on what starts a sync: the schedules and the webhook. */
function deliveryAlarms(scope: Construct, props: AlarmsProps): Record<string, cloudwatch.Alarm> {
  return {
    scheduleDeadLetters: new cloudwatch.Alarm(scope, 'ScheduleDeadLetters', {
      alarmDescription: 'the scheduler could not invoke the dispatcher or token refresher after its retries',
      metric: props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: FIVE_MINUTES,
        statistic: 'Maximum',
      }),
      ...ABOVE_ZERO,
    }),
    scheduleTargetErrors: new cloudwatch.Alarm(scope, 'ScheduleTargetErrors', {
      alarmDescription: 'EventBridge Scheduler got errors invoking a zepp-lake function',
      metric: props.scheduleGroup.metricTargetErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      ...ABOVE_ZERO,
    }),
    webhookSignatureRejected: new cloudwatch.Alarm(scope, 'WebhookSignatureRejected', {
      alarmDescription: 'webhook calls with a bad Huami-Signature: wrong HUAMI_PUBLIC_KEY, or someone probing the URL',
      metric: customMetric(METRIC.webhookSignatureRejected, Duration.minutes(15)),
      ...ABOVE_ZERO,
    }),
    webhook5xx: new cloudwatch.Alarm(scope, 'Webhook5xx', {
      alarmDescription: 'the webhook answered 5xx; the vendor retries, but notifications may be lost',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Url5xxCount',
        dimensionsMap: { FunctionName: props.webhook.functionName },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      ...ABOVE_ZERO,
    }),
  };
}
