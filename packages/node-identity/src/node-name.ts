import { isIP } from 'node:net';
import { KindredError } from '@kindred/dns';
import { NODE_IDENTITY_DEFAULTS } from './defaults.js';
import { NODE_IDENTITY_ERRORS } from './errors.js';

/**
 * How a node names hosts, as Erlang's `-name` / `-sname`: `longnames` wants fully qualified hosts (or IP literals),
 * `shortnames` wants hosts without a dot.
 */
export type NamingMode = 'longnames' | 'shortnames';

/** A node name split at its `@`: `app@pod.svc.ns.svc.cluster.local` is `{ name: 'app', host: 'pod.svc...' }`. */
export interface NodeName {
  /** The part before `@`: letters, digits, `_` and `-`. */
  readonly name: string;
  /** The part after `@`: bytes 0x21-0xFF except `@`, not empty. */
  readonly host: string;
}

/** The legal characters of the name part (Erlang's net_kernel: `[0-9A-Za-z_-]+`, else "Invalid node name!"). */
export const NAME_PART_PATTERN = /^[0-9A-Za-z_-]+$/;

// Erlang takes the host part of a node name as any of the bytes 0x21-0xFF; a second '@' is refused at start-up
// ("Protocol 'inet_tcp': invalid node name: a@b@c.d", OTP 25) and a dialed name with two '@' is never selected by
// any protocol (pang), so '@' is out too.
const HOST_PART_PATTERN = /^[\u0021-\u003f\u0041-\u00ff]+$/;

/** True when `name` is a legal name part (the text before `@`). */
export function isValidNamePart(name: string): boolean {
  return NAME_PART_PATTERN.test(name);
}

/** True when `host` is a legal host part (the text after `@`): not empty, bytes 0x21-0xFF, no `@`. */
export function isValidHostPart(host: string): boolean {
  return HOST_PART_PATTERN.test(host);
}

/** True when `host` is an IPv4 or IPv6 literal as written in a node name (`10.0.0.1`, `::1`; no brackets). */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/**
 * Parses `name@host`. Splits at the first `@`, then checks the name part, the host part and the total length.
 *
 * @throws KindredError `KINDRED_ERR_NODE_NAME_NO_AT` (Erlang: "** Nodename X illegal, no '@' character **"),
 *   `KINDRED_ERR_NODE_NAME_INVALID_NAME` ("Invalid node name!"), `KINDRED_ERR_NODE_NAME_INVALID_HOST`,
 *   `KINDRED_ERR_NODE_NAME_TOO_LONG`.
 * @example
 * parseNodeName('app@web-0.web.default.svc.cluster.local') // { name: 'app', host: 'web-0.web.default.svc...' }
 */
export function parseNodeName(text: string): NodeName {
  checkLength(text);
  const at = text.indexOf('@');
  if (at === -1) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.NODE_NAME_NO_AT,
      `** Nodename ${text} illegal, no '@' character **; write a node name as name@host (e.g. app@host.example.com)`,
      { details: { node: text } },
    );
  }
  const node = { name: text.slice(0, at), host: text.slice(at + 1) };
  checkParts(node, text);
  return node;
}

/**
 * Formats a node name as `name@host`, after the same checks {@link parseNodeName} makes, so
 * `parseNodeName(formatNodeName(n))` equals `n` for every `n` it accepts.
 *
 * @throws KindredError the codes of {@link parseNodeName} except `_NO_AT`.
 */
export function formatNodeName(node: NodeName): string {
  const text = `${node.name}@${node.host}`;
  checkLength(text);
  checkParts(node, text);
  return text;
}

function checkLength(text: string): void {
  // Erlang's limit is on characters of the atom, not bytes; every legal character here is one UTF-16 unit.
  if (text.length > NODE_IDENTITY_DEFAULTS.maxNodeNameLength) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.NODE_NAME_TOO_LONG,
      `node name is ${text.length} characters long; a node name is an Erlang atom and may have at most ` +
        `${NODE_IDENTITY_DEFAULTS.maxNodeNameLength}: use a shorter name or host`,
      { details: { length: text.length, max: NODE_IDENTITY_DEFAULTS.maxNodeNameLength } },
    );
  }
}

function checkParts(node: NodeName, text: string): void {
  if (!isValidNamePart(node.name)) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_NAME,
      `Invalid node name! The part before '@' in ${JSON.stringify(text)} must be letters, digits, '_' or '-' ` +
        '(at least one)',
      { details: { node: text, name: node.name } },
    );
  }
  if (!isValidHostPart(node.host)) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.NODE_NAME_INVALID_HOST,
      `invalid node name: ${JSON.stringify(text)}; the part after '@' must be a host name or IP literal ` +
        '(characters 0x21-0xFF, no second @, not empty)',
      { details: { node: text, host: node.host } },
    );
  }
}

function toNodeName(node: NodeName | string): NodeName {
  return typeof node === 'string' ? parseNodeName(node) : node;
}

/**
 * The naming mode a target name implies: a dotted host or an IP literal needs `longnames`, anything else
 * `shortnames`. A node can only dial names of its own mode (see {@link checkDialable}).
 */
export function namingModeOf(node: NodeName | string): NamingMode {
  const { host } = toNodeName(node);
  return host.includes('.') || isIpLiteral(host) ? 'longnames' : 'shortnames';
}

/**
 * Erlang's dialing rule (inet_tcp_dist:splitnode): whether a node running in `mode` may dial `node` at all.
 *
 * - `longnames`: a host without a dot must be an IP literal, else
 *   "** System running to use fully qualified hostnames **\n** Hostname H is illegal **".
 * - `shortnames`: a host with a dot is illegal (so is every IPv4 literal and an IPv4-mapped IPv6 literal):
 *   "** System NOT running to use fully qualified hostnames **\n** Hostname H is illegal **".
 *
 * IPv6 literals, as observed with OTP 25.2.3 (erlang-base) in a network namespace, each case a real `erl`:
 * - with `-proto_dist inet6_tcp`, a node started as `-name 'n1@::1'` answers `net_adm:ping('n1@::1')` with pong
 *   from a `-name` node (no dot, but `inet6_tcp:parse_address("::1")` succeeds) and from a `-sname` node
 *   (no dot, so short names take it). `'n1@::ffff:127.0.0.1'` from a `-sname` node logs "System NOT running to use
 *   fully qualified hostnames" (it has dots). `'n1@0:0:0:0:0:0:0:1'` is pang without a log: legal, but not the
 *   name the peer calls itself (the name-matching rule).
 * - `'n1@[::1]'` is pang without a log in both modes: brackets are not part of an Erlang IP literal and no
 *   protocol can resolve the host. Here a bracketed host is not an IP literal, so long names refuse it.
 * - with the default IPv4-only `inet_tcp`, every IPv6 literal is pang without a log (no protocol resolves it).
 *   kindred's transport dials IPv6 too, so it follows `inet6_tcp`.
 * - a name without '@' (or with two) is pang without a log in OTP 25 (no protocol selects it); older releases
 *   logged "** Nodename X illegal, no '@' character **", which is the wording kept here.
 *
 * @throws KindredError `KINDRED_ERR_ILLEGAL_HOSTNAME` with Erlang's two log lines as the message, or a
 *   {@link parseNodeName} code when `node` is a string that is not a node name.
 */
export function checkDialable(node: NodeName | string, mode: NamingMode): void {
  const { host } = toNodeName(node);
  const dotted = host.includes('.');
  if (mode === 'longnames' && !dotted && !isIpLiteral(host)) {
    throw illegalHostname(host, mode, '** System running to use fully qualified hostnames **');
  }
  if (mode === 'shortnames' && dotted) {
    throw illegalHostname(host, mode, '** System NOT running to use fully qualified hostnames **');
  }
}

function illegalHostname(host: string, mode: NamingMode, first: string): KindredError {
  return new KindredError(
    NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME,
    `${first}\n** Hostname ${host} is illegal **`,
    {
      details: {
        host,
        mode,
        hint:
          mode === 'longnames'
            ? 'dial the fully qualified name the peer calls itself (its hostname -f), or run with short names'
            : 'dial the short name the peer calls itself, or run with long names (--name)',
      },
    },
  );
}
