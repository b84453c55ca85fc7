// The one Powertools Metrics instance of every zepp-lake function (CloudWatch EMF on stdout, flushed by the
// `logMetrics` middleware at the end of each invocation). Namespace and names come from metric-names.ts, which
// the CDK alarms and dashboard read too.

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../core/metric-names.ts';
import type { StreamName } from '../core/ports.ts';
import type { SyncReport } from '../engine/sync-engine.ts';

export { METRIC, MetricUnit };

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export function countMetric(name: (typeof METRIC)[keyof typeof METRIC], value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** Rows per stream carry a `stream` dimension, so they go out as single metrics of their own. */
export function countRowsWritten(stream: StreamName, rows: number): void {
  const single = metrics.singleMetric();
  single.addDimension('stream', stream);
  single.addMetric(METRIC.rowsWritten, MetricUnit.Count, rows);
}

/** The metrics of one finished user sync. */
export function recordSyncReport(report: SyncReport): void {
  let failed = 0;
  for (const [stream, s] of Object.entries(report.streams)) {
    if (!s) continue;
    failed += s.failed;
    if (s.rowsWritten > 0) countRowsWritten(stream as StreamName, s.rowsWritten);
  }
  if (failed > 0) countMetric(METRIC.ledgerFailed, failed);
  if (report.authFailed) countMetric(METRIC.authFailed);
  else if (report.errors.length === 0) countMetric(METRIC.syncSucceeded);
}
