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

const ONE_HOUR = Duration.hours(1);

export class Dashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });

    const rows = [landingRow(), healthRow(props.functions), queueRow(props), deliveryRow()];
    for (const row of rows) this.dashboard.addWidgets(...row);
  }
}

/** Rows written per stream; vendor API calls and retries. */
function landingRow(): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Rows written per stream',
      width: 12,
      stacked: true,
      left: [
        // SEARCH finds every `stream` value the handlers emit, so a new stream shows up without a deploy.
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},service,stream} MetricName="${METRIC.rowsWritten}"', 'Sum', 3600)`,
          label: '',
          period: ONE_HOUR,
        }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Vendor API calls and retries',
      width: 12,
      left: [customMetric(METRIC.apiCalls, ONE_HOUR), customMetric(METRIC.apiRetries, ONE_HOUR)],
    }),
  ];
}

/** Function durations; syncs and their failures. */
function healthRow(functions: DashboardProps['functions']): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Function duration (p95)',
      width: 12,
      left: Object.entries(functions).map(([label, fn]) =>
        fn.metricDuration({ statistic: 'p95', period: ONE_HOUR, label }),
      ),
    }),
    new cloudwatch.GraphWidget({
      title: 'Syncs, ledger failures, auth failures, people without a clean sync for 2 days',
      width: 12,
      left: [customMetric(METRIC.syncSucceeded, ONE_HOUR)],
      right: [
        customMetric(METRIC.ledgerFailed, ONE_HOUR),
        customMetric(METRIC.authFailed, ONE_HOUR),
        customMetric(METRIC.usersStale, ONE_HOUR, 'Maximum'),
      ],
    }),
  ];
}

/** The sync queue and its dead letters; every alarm's state. */
function queueRow(props: DashboardProps): cloudwatch.IWidget[] {
  return [
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
  ];
}

/** What the dispatcher and token refresher did; what the webhook refused. */
function deliveryRow(): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Sync messages sent and deferred, tokens refreshed',
      width: 12,
      left: [customMetric(METRIC.syncMessagesSent, ONE_HOUR), customMetric(METRIC.syncDeferred, ONE_HOUR)],
      right: [customMetric(METRIC.tokensRefreshed, ONE_HOUR)],
    }),
    new cloudwatch.GraphWidget({
      title: 'Webhook: rejected signatures and malformed bodies',
      width: 12,
      left: [customMetric(METRIC.webhookSignatureRejected, ONE_HOUR), customMetric(METRIC.webhookMalformed, ONE_HOUR)],
    }),
  ];
}
