// The metric names live with the handlers that emit them (lambdas/core/metric-names.ts); the alarms and the
// dashboard read the same constants, so the two cannot drift apart.

export { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/core/metric-names.ts';
