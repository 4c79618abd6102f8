/**
 * `@kindred/node-identity`: Erlang node names (`name@host`), naming modes and their dialing rules, the node's own
 * name (what `erl -name` / `-sname` would pick, with container overrides) and the cookie.
 */
export { isKindredError, KindredError } from '@kindred/dns';
export {
  type CookieSource,
  checkCookie,
  type LoadCookieOptions,
  type LoadedCookie,
  loadCookie,
  makeCookie,
} from './cookie.js';
export { NODE_IDENTITY_DEFAULTS, NODE_IDENTITY_ENV } from './defaults.js';
export { NODE_IDENTITY_ERROR_CODES, NODE_IDENTITY_ERRORS } from './errors.js';
export {
  type HostOverride,
  hostOverrideFromEnv,
  NAMING_SCHEMES,
  type NamingScheme,
  namingSchemeFromEnv,
  namingSchemeOf,
  podIpFromEnv,
  type ReleaseName,
  releaseNameFromEnv,
} from './naming-scheme.js';
export {
  checkDialable,
  formatNodeName,
  isIpLiteral,
  isValidHostPart,
  isValidNamePart,
  NAME_PART_PATTERN,
  type NamingMode,
  type NodeName,
  namingModeOf,
  parseNodeName,
} from './node-name.js';
export {
  type CanonicalNameResolver,
  clusterDomainFromSearch,
  type HostSource,
  type OwnName,
  type ResolveOwnNameOptions,
  resolvConfDomain,
  resolveOwnName,
} from './own-name.js';
export { resolveSchemeNames, type SchemeName, type SchemeNames } from './scheme-names.js';
