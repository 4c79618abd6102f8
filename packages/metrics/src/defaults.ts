/** Every default of @kindred/metrics, in one place. */
export const METRICS_DEFAULTS = Object.freeze({
  /** Prefix of every metric name. */
  prefix: 'kindred_',
  /**
   * Buckets of the call and rpc latency histograms, seconds: from half a millisecond (a call inside one node) to the
   * default call timeout (5 s), roughly x2.5 apart.
   */
  latencyBucketsSeconds: Object.freeze([
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]),
});
