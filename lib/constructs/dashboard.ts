// One CloudWatch dashboard to answer "is my data landing?": rows per stream, API traffic and retries, function
// durations, ledger failures, the queues, and every alarm's state.

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { customMetric } from './alarms.ts';
import { METRIC, METRICS_NAMESPACE } from './metric-names.ts';

export interface DashboardProps {
  /** Functions whose durations are graphed, by label. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

export class Dashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const hour = Duration.hours(1);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rows written per stream',
        width: 12,
        stacked: true,
        left: [
          // SEARCH finds every `stream` value the handlers emit, so a new stream shows up without a deploy.
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},service,stream} MetricName="${METRIC.rowsWritten}"', 'Sum', 3600)`,
            label: '',
            period: hour,
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Vendor API calls and retries',
        width: 12,
        left: [customMetric(METRIC.apiCalls, hour), customMetric(METRIC.apiRetries, hour)],
      }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function duration (p95)',
        width: 12,
        left: Object.entries(props.functions).map(([label, fn]) =>
          fn.metricDuration({ statistic: 'p95', period: hour, label }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Syncs, ledger failures, auth failures, people without a clean sync for 2 days',
        width: 12,
        left: [customMetric(METRIC.syncSucceeded, hour)],
        right: [
          customMetric(METRIC.ledgerFailed, hour),
          customMetric(METRIC.authFailed, hour),
          customMetric(METRIC.usersStale, hour, 'Maximum'),
        ],
      }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sync queue',
        width: 12,
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), label: 'waiting' }),
          props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), label: 'oldest age (s)' }),
        ],
        right: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            label: 'dead letters',
          }),
        ],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: [...props.alarms] }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Sync messages sent and deferred, tokens refreshed',
        width: 12,
        left: [customMetric(METRIC.syncMessagesSent, hour), customMetric(METRIC.syncDeferred, hour)],
        right: [customMetric(METRIC.tokensRefreshed, hour)],
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook: rejected signatures and malformed bodies',
        width: 12,
        left: [customMetric(METRIC.webhookSignatureRejected, hour), customMetric(METRIC.webhookMalformed, hour)],
      }),
    );
  }
}
