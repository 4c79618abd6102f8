/** Error codes of @kindred/node-identity; each is listed in docs/errors.md. Match on these, not on messages. */
export const NODE_IDENTITY_ERRORS = Object.freeze({
  /** A node name has no `@` (Erlang: "** Nodename X illegal, no '@' character **"). */
  NODE_NAME_NO_AT: 'KINDRED_ERR_NODE_NAME_NO_AT',
  /** The name part is not `[0-9A-Za-z_-]+` (Erlang: "Invalid node name!"). */
  NODE_NAME_INVALID_NAME: 'KINDRED_ERR_NODE_NAME_INVALID_NAME',
  /** The host part is empty, has a second `@`, or a character outside 0x21-0xFF. */
  NODE_NAME_INVALID_HOST: 'KINDRED_ERR_NODE_NAME_INVALID_HOST',
  /** The whole name is over 255 characters (an Erlang atom's limit). */
  NODE_NAME_TOO_LONG: 'KINDRED_ERR_NODE_NAME_TOO_LONG',
  /** The target can't be dialed in this naming mode (Erlang: "** Hostname H is illegal **"). */
  ILLEGAL_HOSTNAME: 'KINDRED_ERR_ILLEGAL_HOSTNAME',
  /** The own name can't be set ("Can't set short node name!" / "Can't set long node name!"). */
  ILLEGAL_OWN_NAME: 'KINDRED_ERR_ILLEGAL_OWN_NAME',
  /** Both `name` and `sname` were given, or neither (and no KINDRED_NODE_NAME). */
  OWN_NAME_OPTIONS: 'KINDRED_ERR_OWN_NAME_OPTIONS',
  /** KINDRED_SUBDOMAIN is set but POD_NAME/POD_NAMESPACE is missing or not a DNS label. */
  KUBERNETES_ENV: 'KINDRED_ERR_KUBERNETES_ENV',
  /** The cluster domain is neither in resolv.conf's search list nor in KINDRED_CLUSTER_DOMAIN. */
  CLUSTER_DOMAIN_UNKNOWN: 'KINDRED_ERR_CLUSTER_DOMAIN_UNKNOWN',
  /** `KINDRED_NAMING` is neither `fqdn` nor `pod-ip`. */
  NAMING_SCHEME: 'KINDRED_ERR_NAMING_SCHEME',
  /** The `pod-ip` scheme (or `KINDRED_HOST=ip`) has no address: `POD_IP` unset or not an IP literal. */
  POD_IP: 'KINDRED_ERR_POD_IP',
  /** A cookie character outside printable ASCII 32-126 (Erlang: "Bad characters in cookie"). */
  COOKIE_BAD_CHARACTERS: 'KINDRED_ERR_COOKIE_BAD_CHARACTERS',
  /** An empty cookie (Erlang: "Too short cookie string"). */
  COOKIE_TOO_SHORT: 'KINDRED_ERR_COOKIE_TOO_SHORT',
  /** The cookie file is accessible by group or others (Erlang: "must be accessible by owner only"). */
  COOKIE_FILE_MODE: 'KINDRED_ERR_COOKIE_FILE_MODE',
  /** The cookie file path is not a regular file. */
  COOKIE_FILE_TYPE: 'KINDRED_ERR_COOKIE_FILE_TYPE',
  /** The cookie file can't be read or created. */
  COOKIE_FILE: 'KINDRED_ERR_COOKIE_FILE',
});

/** @deprecated the catalogue's former name; use {@link NODE_IDENTITY_ERRORS} (the same object). */
export const NODE_IDENTITY_ERROR_CODES = NODE_IDENTITY_ERRORS;
