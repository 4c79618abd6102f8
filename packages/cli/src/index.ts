export { isKindredError, KindredError } from '@kindred/interface';
export {
  CLI_ERROR_CODES,
  CLI_ERRORS,
  type Command,
  type CommandIO,
  EXIT,
  type FailureLabels,
  parseCommandArgs,
  parsePortArg,
  printJson,
  reportFailure,
  UsageError,
} from './command.js';
export { CLI_DEFAULTS } from './defaults.js';
export { main, processIO, usage } from './main.js';
