import { createServer, type Server, type Socket } from 'node:net';
import {
  checkNonEmptyString,
  checkPort,
  checkPositiveInt,
  childLogger,
  type Logger,
} from '@kindred/interface';
import { BEAM_NET_ERRORS, beamNetError } from '../errors-net.js';
import { EPMD_DEFAULTS } from './defaults.js';
import { epmdPortFromEnv } from './env.js';
import {
  EPMD_NODE_TYPE,
  EPMD_TAG,
  type EpmdNodeInfo,
  encodeAlive2Response,
  encodeNamesResponse,
  encodePort2Response,
  readRequest,
} from './protocol.js';

/** Options of {@link EpmdResponder}. */
export interface EpmdResponderOptions {
  /** The alive part of this node's name (before `@`): the one name the responder answers for. */
  readonly name: string;
  /** This node's distribution listen port. */
  readonly nodePort: number;
  /** Answer as a hidden node (NodeType 72). */
  readonly hidden?: boolean;
  /** Port to listen on; default `ERL_EPMD_PORT` or 4369. */
  readonly port?: number;
  /** Address to bind; default all interfaces. */
  readonly host?: string;
  /** Largest request read; default {@link EPMD_DEFAULTS}.responderMaxRequestBytes. */
  readonly maxRequestBytes?: number;
  /** A connection must send its whole request within this time; default 3 s. */
  readonly requestTimeoutMs?: number;
  /** Connections held at once; default 64. */
  readonly maxConnections?: number;
  readonly logger?: Logger;
}

const OPTION = (option: string) => ({ option, code: BEAM_NET_ERRORS.BEAM_NET_OPTION });

/**
 * An embedded EPMD for a host with no Erlang installed (a Node.js pod): it answers PORT_PLEASE2 and NAMES for this
 * node only, refuses ALIVE2 from any other node (result 1, what epmd answers for a taken name), and closes on
 * DUMP/KILL/STOP, unknown requests, oversized requests (bounded by maxRequestBytes) and requests that do not arrive
 * within requestTimeoutMs. Like epmd, it answers one request per connection and then closes.
 */
export class EpmdResponder {
  #server: Server | undefined;
  #port: number;
  readonly #host: string;
  readonly #info: EpmdNodeInfo;
  readonly #maxRequestBytes: number;
  readonly #timeoutMs: number;
  readonly #maxConnections: number;
  readonly #sockets = new Set<Socket>();
  readonly #log: Logger;
  readonly #counts = { portPlease: 0, names: 0, refused: 0 };

  constructor(options: EpmdResponderOptions) {
    checkNonEmptyString(OPTION('name'), options.name);
    this.#port =
      options.port === undefined
        ? epmdPortFromEnv()
        : checkPort(OPTION('port'), options.port, { allowZero: true });
    this.#host = options.host ?? EPMD_DEFAULTS.responderHost;
    this.#info = {
      name: options.name,
      port: checkPort(OPTION('nodePort'), options.nodePort),
      nodeType: options.hidden === true ? EPMD_NODE_TYPE.hidden : EPMD_NODE_TYPE.normal,
      protocol: 0,
      highestVersion: EPMD_DEFAULTS.highestVersion,
      lowestVersion: EPMD_DEFAULTS.lowestVersion,
      extra: Buffer.alloc(0),
    };
    this.#maxRequestBytes = checkPositiveInt(
      OPTION('maxRequestBytes'),
      options.maxRequestBytes ?? EPMD_DEFAULTS.responderMaxRequestBytes,
    );
    this.#timeoutMs = checkPositiveInt(
      OPTION('requestTimeoutMs'),
      options.requestTimeoutMs ?? EPMD_DEFAULTS.responderRequestTimeoutMs,
    );
    this.#maxConnections = checkPositiveInt(
      OPTION('maxConnections'),
      options.maxConnections ?? EPMD_DEFAULTS.responderMaxConnections,
    );
    this.#log = childLogger(options.logger, { component: 'epmd-responder' });
  }

  /** Requests answered (PORT_PLEASE2, NAMES) and connections refused so far. */
  stats(): { portPlease: number; names: number; refused: number } {
    return { ...this.#counts };
  }

  /** The port the responder listens on (the bound one after {@link EpmdResponder.listen}). */
  get port(): number {
    return this.#port;
  }

  /**
   * Starts listening.
   *
   * @throws KindredError `KINDRED_ERR_EPMD` with `details.reason` `listen_failed` (the port is taken, e.g. a real
   *   epmd runs there).
   */
  async listen(): Promise<{ port: number }> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          beamNetError(
            BEAM_NET_ERRORS.EPMD,
            `the embedded epmd cannot listen on ${this.#host}:${this.#port}: ${(err as Error).message}; is an epmd ` +
              'already running there? Use it (EpmdClient) instead, or pick another ERL_EPMD_PORT',
            { reason: 'listen_failed', host: this.#host, port: this.#port },
            err,
          ),
        ),
      );
      server.listen(this.#port, this.#host, () => resolve());
    });
    server.on('error', (err) => this.#log.warn({ err }, 'embedded epmd listener error'));
    this.#server = server;
    const address = server.address();
    if (address !== null && typeof address !== 'string') this.#port = address.port;
    return { port: this.#port };
  }

  #accept(socket: Socket): void {
    if (this.#sockets.size >= this.#maxConnections) {
      this.#counts.refused++;
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const timer = setTimeout(() => this.#refuse(socket, 'timeout'), this.#timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      this.#sockets.delete(socket);
    });
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const req = readRequest(buf, this.#maxRequestBytes);
      if (req === 'short') return;
      socket.removeAllListeners('data');
      clearTimeout(timer);
      if (req === 'too_large') {
        this.#refuse(socket, 'too_large');
        return;
      }
      this.#answer(socket, req.tag, req.body);
    });
  }

  #answer(socket: Socket, tag: number, body: Buffer): void {
    switch (tag) {
      case EPMD_TAG.PORT_PLEASE2_REQ: {
        this.#counts.portPlease++;
        const name = body.toString('utf8');
        socket.end(encodePort2Response(name === this.#info.name ? this.#info : undefined));
        return;
      }
      case EPMD_TAG.NAMES_REQ:
        this.#counts.names++;
        socket.end(encodeNamesResponse(this.#port, [{ name: this.#info.name, port: this.#info.port }]));
        return;
      case EPMD_TAG.ALIVE2_REQ:
        // Another node on this host tries to register: this epmd serves one node only.
        this.#counts.refused++;
        socket.end(encodeAlive2Response(1, 0));
        return;
      default:
        // DUMP, KILL, STOP and anything unknown.
        this.#refuse(socket, `request_${tag}`);
    }
  }

  #refuse(socket: Socket, reason: string): void {
    this.#counts.refused++;
    this.#log.debug({ reason, peer: { address: socket.remoteAddress } }, 'embedded epmd refused a request');
    socket.destroy();
  }

  /** Stops listening and closes every open connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
