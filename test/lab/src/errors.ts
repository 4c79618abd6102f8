/** Every code the pod lab throws, key = code minus `KINDRED_ERR_`; each is a @kindred/lab row of docs/errors.md. */
export const LAB_ERRORS = Object.freeze({
  /** The lab needs root (network namespaces). */
  LAB_NOT_ROOT: 'KINDRED_ERR_LAB_NOT_ROOT',
  /** A tool the lab runs (`ip`, `unshare`, `named`) is not installed. */
  LAB_TOOL_MISSING: 'KINDRED_ERR_LAB_TOOL_MISSING',
  /** A lab option is malformed (run id, hostname, address, CIDR, replica count). */
  LAB_BAD_OPTION: 'KINDRED_ERR_LAB_BAD_OPTION',
  /** A lab network, host or address with that id/name is already there. */
  LAB_EXISTS: 'KINDRED_ERR_LAB_EXISTS',
  /** An `ip`/system command the lab ran failed. */
  LAB_COMMAND_FAILED: 'KINDRED_ERR_LAB_COMMAND_FAILED',
  /** No pod of that name in the lab. */
  LAB_NO_SUCH_POD: 'KINDRED_ERR_LAB_NO_SUCH_POD',
  /** No lab daemon answers. */
  LAB_NOT_RUNNING: 'KINDRED_ERR_LAB_NOT_RUNNING',
  /** `pnpm lab up` could not bring the lab up. */
  LAB_START_FAILED: 'KINDRED_ERR_LAB_START_FAILED',
  /** `pnpm lab up`: pods stayed not ready (unreachable, or their app not serving) past `--wait-ms`. */
  LAB_NOT_READY: 'KINDRED_ERR_LAB_NOT_READY',
  /** examples/simple-web-service is not built. */
  LAB_NO_APP: 'KINDRED_ERR_LAB_NO_APP',
  /** An HTTP GET or TCP connect into a pod failed. */
  LAB_PROBE_FAILED: 'KINDRED_ERR_LAB_PROBE_FAILED',
  /** A lab wait ran out of time. */
  LAB_TIMEOUT: 'KINDRED_ERR_LAB_TIMEOUT',
  /** The lab's BIND did not start, load a zone, or serve an update in time. */
  LAB_DNS_SERVER: 'KINDRED_ERR_LAB_DNS_SERVER',
});
