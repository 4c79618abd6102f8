import { isIP } from 'node:net';
import { isKindredError, KindredError } from '@kindred/interface';
import { WebSocket } from 'ws';
import { TRANSPORT_DEFAULTS } from './defaults.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import type { HostResolver } from './host-check.js';
import type { ResolvedTransportOptions } from './options.js';
import { urlHost } from './peer-address.js';
import { SUBPROTOCOL } from './protocol.js';
import { zeroMask } from './ws-util.js';

/**
 * The address to dial `node` at: the one given, `host` itself when it is an IP address, else the resolver's first
 * address for it. A failure rejects with the resolver's own code (a `KINDRED_ERR_DNS_*`) or
 * KINDRED_ERR_CONNECT_FAILED for a host without addresses, with `details.reason` `unresolved` either way.
 */
export async function dialAddress(
  node: string,
  host: string,
  given: string | undefined,
  resolver: HostResolver,
): Promise<string> {
  if (given !== undefined) return given;
  if (isIP(host) !== 0) return host;
  let address: string | undefined;
  try {
    address = (await resolver.lookupHost(host)).addresses[0];
  } catch (err) {
    if (!isKindredError(err)) throw err;
    const details = typeof err.details === 'object' && err.details !== null ? err.details : {};
    throw new KindredError(err.code, err.message, {
      details: { ...details, reason: 'unresolved' },
      cause: err,
    });
  }
  if (address === undefined) {
    throw transportError(TRANSPORT_ERRORS.CONNECT_FAILED, `${host} has no address; check DNS or /etc/hosts`, {
      node,
      reason: 'unresolved',
    });
  }
  return address;
}

/**
 * Opens the WebSocket of a dial to `address`:`port` (wss with certificate verification under TLS, SNI with the
 * node's host name): no compression, no redirects, the handshake bounded by setupTimeoutMs, and a zero masking key
 * unless maskFrames. The handshake runs on it next.
 */
export function dialSocket(
  opts: ResolvedTransportOptions,
  host: string,
  address: string,
  port: number,
): WebSocket {
  const tls = opts.tls;
  const url = `${tls ? 'wss' : 'ws'}://${urlHost(address)}:${port}${TRANSPORT_DEFAULTS.path}`;
  const ws = new WebSocket(url, [SUBPROTOCOL], {
    perMessageDeflate: false,
    maxPayload: opts.maxMessageBytes,
    handshakeTimeout: opts.setupTimeoutMs,
    followRedirects: false,
    ...(opts.maskFrames ? {} : { generateMask: zeroMask }),
    ...(tls
      ? {
          ...(isIP(host) === 0 ? { servername: host } : {}),
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          rejectUnauthorized: true,
        }
      : {}),
  });
  ws.on('error', () => {});
  return ws;
}
