/**
 * @packageDocumentation
 * The bottom of the kindred packages: what every other package shares. `KindredError` (one error class, a stable
 * `code` per failure), the option checks that make every bad option read the same, and the minimal `Logger`
 * contract with its silent default. Nothing here does I/O.
 */
export {
  badOption,
  type CheckContext,
  checkBoolean,
  checkInt,
  checkNonEmptyString,
  checkPort,
  checkPositiveInt,
  describeValue,
  isPort,
  parsePort,
} from './checks.js';
export { isKindredError, KindredError } from './errors.js';
export { childLogger, type Logger, SILENT_LOGGER } from './logger.js';
