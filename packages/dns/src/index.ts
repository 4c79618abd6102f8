export { isKindredError, KindredError } from './errors.js';
