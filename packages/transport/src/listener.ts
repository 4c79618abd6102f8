import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Admission } from './admission.js';
import { CONNECTIONS_CHECK_MS } from './constants.js';
import { TRANSPORT_DEFAULTS } from './defaults.js';
import { TRANSPORT_ERRORS, transportError } from './errors.js';
import type { ResolvedTransportOptions } from './options.js';
import { normalizeAddress } from './peer-address.js';
import { CLOSE, SUBPROTOCOL } from './protocol.js';
import { closeQuietly } from './ws-util.js';

/** What the listener hands to the transport, and asks of it. */
export interface ListenerHooks {
  /** Counts an edge failure by reason (`bad_path`, `bad_version`, `overloaded`, `http_error`, `tls_error`). */
  count(reason: string): void;
  /** True once the transport is closing: upgrades are then refused. */
  isClosed(): boolean;
  /**
   * A WebSocket on the kindred subprotocol, admitted for its handshake; `release` frees its handshake slot and must
   * be called exactly once, when the handshake ends.
   */
  accepted(ws: WebSocket, address: string, release: () => void): void;
}

/**
 * The listening side's sockets: the HTTP(S) server, the WebSocket upgrade on TRANSPORT_DEFAULTS.path, the
 * subprotocol check, and the admission of the unauthenticated edge (raw connections, upgrade deadline, handshake
 * slots per source and in total). Under the default host `::` it falls back to every IPv4 address on a host
 * without IPv6. What happens after the upgrade (the handshake) is the transport's.
 */
export class Listener {
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;

  readonly #opts: ResolvedTransportOptions;
  readonly #admission: Admission;
  readonly #hooks: ListenerHooks;

  constructor(opts: ResolvedTransportOptions, admission: Admission, hooks: ListenerHooks) {
    this.#opts = opts;
    this.#admission = admission;
    this.#hooks = hooks;
  }

  /** Binds the server; resolves with the bound port. Rejects with KINDRED_ERR_CONNECT_FAILED when it cannot. */
  async listen(): Promise<number> {
    if (this.#server !== undefined) {
      throw transportError(TRANSPORT_ERRORS.TRANSPORT_OPTION, 'listen() was already called');
    }
    const opts = this.#opts;
    const tls = opts.tls;
    const server = tls
      ? createHttpsServer({
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          requestCert: tls.requireClientCert === true,
          rejectUnauthorized: tls.requireClientCert === true,
          connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
        })
      : createHttpServer({ connectionsCheckingInterval: CONNECTIONS_CHECK_MS });
    // Node's own deadlines for a half-sent request, besides the admission's upgrade deadline (which also covers a
    // connection that sends nothing, and the TLS handshake).
    server.headersTimeout = opts.upgradeTimeoutMs;
    server.requestTimeout = opts.upgradeTimeoutMs;
    server.on('connection', (socket: Socket) => {
      this.#admission.admitSocket(socket);
    });
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end(
        `kindred node ${opts.node}: speak ${SUBPROTOCOL} over WebSocket at ${TRANSPORT_DEFAULTS.path}\n`,
      );
    });
    server.on('clientError', (_err, socket) => {
      this.#hooks.count('http_error');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      socket.destroy();
    });
    server.on('tlsClientError', () => this.#hooks.count('tls_error'));
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: opts.maxMessageBytes,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    wss.on('error', () => {});
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
    this.#server = server;
    this.#wss = wss;
    let port: number;
    try {
      try {
        port = await bind(server, opts.port, opts.host);
      } catch (err) {
        // The default '::' needs IPv6; on a host without it, listen on every IPv4 address instead.
        const code = (err as NodeJS.ErrnoException).code;
        if (opts.hostGiven || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
        port = await bind(server, opts.port, '0.0.0.0');
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.#server = undefined;
      this.#wss = undefined;
      wss.close();
      throw transportError(
        TRANSPORT_ERRORS.CONNECT_FAILED,
        `cannot listen on ${opts.host} port ${opts.port}: ${e.message}; pick another port with --port or KINDRED_PORT`,
        { port: opts.port, host: opts.host, errno: e.code },
        err,
      );
    }
    server.on('error', (err: NodeJS.ErrnoException) => this.#admission.listenerError(err));
    return port;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    this.#admission.upgraded(socket);
    const wss = this.#wss;
    const path = (req.url ?? '').split('?')[0];
    if (wss === undefined || this.#hooks.isClosed() || path !== TRANSPORT_DEFAULTS.path) {
      this.#hooks.count('bad_path');
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.#incoming(ws, req));
  }

  #incoming(ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', () => {});
    if (ws.protocol !== SUBPROTOCOL) {
      this.#hooks.count('bad_version');
      closeQuietly(ws, CLOSE.BAD_VERSION);
      return;
    }
    const address = normalizeAddress(req.socket.remoteAddress ?? '');
    const release = this.#admission.admitHandshake(address);
    if (release === undefined) {
      this.#hooks.count('overloaded');
      closeQuietly(ws, CLOSE.OVERLOADED);
      return;
    }
    this.#hooks.accepted(ws, address, release);
  }

  /** Ends every WebSocket at once and closes the server. */
  async close(): Promise<void> {
    const wss = this.#wss;
    const server = this.#server;
    if (wss !== undefined) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

/** Listens on `port` at `host`; resolves with the bound port. */
function bind(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
