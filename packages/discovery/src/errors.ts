/** Error codes of @kindred/discovery; each is listed in docs/errors.md. */
export const DISCOVERY_ERRORS = Object.freeze({
  /** A discovery spec (`dns-srv:Q`, `dns-a:Q`, `static:n@h:p,...`) or a static peer could not be parsed. */
  DISCOVERY_BAD_SPEC: 'KINDRED_ERR_DISCOVERY_BAD_SPEC',
  /** An option of a strategy or of createDiscovery is invalid. */
  DISCOVERY_BAD_OPTION: 'KINDRED_ERR_DISCOVERY_BAD_OPTION',
  /** A strategy failed with something other than a KindredError (a bug in a custom strategy). */
  DISCOVERY_FAILED: 'KINDRED_ERR_DISCOVERY_FAILED',
  /** A poll's strategy did not finish within `pollDeadlineMs`; it was aborted and the last good peer set is kept. */
  DISCOVERY_DEADLINE: 'KINDRED_ERR_DISCOVERY_DEADLINE',
  /** waitStable gave up (timeout or abort) before the bootstrap guard was satisfied. */
  DISCOVERY_NOT_STABLE: 'KINDRED_ERR_DISCOVERY_NOT_STABLE',
});

/**
 * @deprecated the catalogue's former name and keys; use {@link DISCOVERY_ERRORS} (same codes).
 */
export const DISCOVERY_ERROR_CODES = Object.freeze({
  BAD_SPEC: DISCOVERY_ERRORS.DISCOVERY_BAD_SPEC,
  BAD_OPTION: DISCOVERY_ERRORS.DISCOVERY_BAD_OPTION,
  FAILED: DISCOVERY_ERRORS.DISCOVERY_FAILED,
  DEADLINE: DISCOVERY_ERRORS.DISCOVERY_DEADLINE,
  NOT_STABLE: DISCOVERY_ERRORS.DISCOVERY_NOT_STABLE,
});
