/** Error codes of @kindred/metrics, key = code minus `KINDRED_ERR_`; each is listed in docs/errors.md. */
export const METRICS_ERRORS = Object.freeze({
  /** An option of `createKindredMetrics` has the wrong type or value; the message names it. */
  METRICS_BAD_OPTION: 'KINDRED_ERR_METRICS_BAD_OPTION',
});
