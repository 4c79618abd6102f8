/**
 * @packageDocumentation
 * Prometheus metrics of a kindred node through prom-client, registered into the app's registry: per-peer traffic and
 * queues, handshake failures by reason (refused dials apart), nodeup/nodedown by reason, processes, mailbox
 * overflows, dropped and bad control messages, call and rpc latency histograms, discovery.
 */
export { isKindredError, KindredError } from '@kindred/interface';
export {
  createKindredMetrics,
  type KindredMetrics,
  type KindredMetricsOptions,
  type MeasuredNode,
} from './collector.js';
export { METRICS_DEFAULTS } from './defaults.js';
export { METRICS_ERRORS } from './errors.js';
