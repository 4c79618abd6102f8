import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
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
  decodeAlive2Response,
  decodeNamesResponse,
  decodePort2Response,
  EPMD_NODE_TYPE,
  type EpmdName,
  type EpmdNodeInfo,
  encodeAlive2Request,
  encodeNamesRequest,
  encodePortPleaseRequest,
} from './protocol.js';

/** Options of {@link EpmdClient}. */
export interface EpmdClientOptions {
  /** EPMD's port on every host; default `ERL_EPMD_PORT` or 4369 (the whole cluster must agree, as with erl). */
  readonly port?: number;
  /** One request's deadline (connect, send, answer); default {@link EPMD_DEFAULTS}.requestTimeoutMs. */
  readonly requestTimeoutMs?: number;
  /** Re-registration interval after epmd dropped the registration; default 2 s. */
  readonly reconnectIntervalMs?: number;
  readonly logger?: Logger;
}

/** What {@link EpmdClient.register} registers. */
export interface EpmdRegisterOptions {
  /** The alive part of the node name (before `@`). */
  readonly name: string;
  /** The distribution listen port. */
  readonly port: number;
  /** Register as hidden (NodeType 72) instead of normal (77). */
  readonly hidden?: boolean;
}

const OPTION = (option: string) => ({ option, code: BEAM_NET_ERRORS.BEAM_NET_OPTION });

/**
 * A registration with the local epmd: the TCP connection ALIVE2 was sent on, held open for as long as the node is
 * distributed (closing it unregisters the name). When epmd drops it, the registration re-registers every
 * reconnectIntervalMs and keeps its first creation, as erl_epmd does. Emits `lost` (epmd dropped it) and
 * `restored`.
 */
export class EpmdRegistration extends EventEmitter {
  /** The creation epmd gave at the first registration (a 32-bit value, never 0-3 from a real epmd). */
  readonly creation: number;
  #socket: Socket;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #registerAgain: () => Promise<{ socket: Socket }>;
  readonly #reconnectIntervalMs: number;

  /** @internal made by {@link EpmdClient.register} */
  constructor(
    registerAgain: () => Promise<{ socket: Socket }>,
    reconnectIntervalMs: number,
    socket: Socket,
    creation: number,
  ) {
    super();
    this.#registerAgain = registerAgain;
    this.#reconnectIntervalMs = reconnectIntervalMs;
    this.creation = creation;
    this.#socket = socket;
    this.#watch(socket);
  }

  /** True until {@link EpmdRegistration.close}. */
  get registered(): boolean {
    return !this.#closed;
  }

  #watch(socket: Socket): void {
    socket.on('error', () => {});
    socket.once('close', () => {
      if (this.#closed) return;
      this.emit('lost');
      this.#schedule();
    });
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#registerAgain().then(
        ({ socket }) => {
          if (this.#closed) {
            socket.destroy();
            return;
          }
          this.#socket = socket;
          this.#watch(socket);
          this.emit('restored');
        },
        () => this.#schedule(),
      );
    }, this.#reconnectIntervalMs);
    this.#timer.unref();
  }

  /** Unregisters: closes the held socket; no re-registration follows. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#socket.destroy();
  }
}

/**
 * A client of epmd (`erl_epmd`'s part): ALIVE2 registration with the held socket, PORT_PLEASE2 and NAMES. Every
 * request is a fresh TCP connection with a deadline; every failure is `KINDRED_ERR_EPMD` with `details.reason`.
 */
export class EpmdClient {
  /** EPMD's port this client uses on every host. */
  readonly port: number;
  readonly #reconnectIntervalMs: number;
  readonly #timeoutMs: number;
  readonly #log: Logger;

  constructor(options: EpmdClientOptions = {}) {
    this.port = options.port === undefined ? epmdPortFromEnv() : checkPort(OPTION('port'), options.port);
    this.#timeoutMs = checkPositiveInt(
      OPTION('requestTimeoutMs'),
      options.requestTimeoutMs ?? EPMD_DEFAULTS.requestTimeoutMs,
    );
    this.#reconnectIntervalMs = checkPositiveInt(
      OPTION('reconnectIntervalMs'),
      options.reconnectIntervalMs ?? EPMD_DEFAULTS.reconnectIntervalMs,
    );
    this.#log = childLogger(options.logger, { component: 'epmd' });
  }

  /**
   * Registers `name` at `port` with the epmd on 127.0.0.1 and keeps the socket open.
   *
   * @throws KindredError `KINDRED_ERR_EPMD`: `details.reason` `taken` (the name is registered already),
   *   `unreachable`, `timeout`, `protocol_error`.
   */
  async register(options: EpmdRegisterOptions): Promise<EpmdRegistration> {
    checkNonEmptyString(OPTION('name'), options.name);
    checkPort(OPTION('port'), options.port);
    const { socket, creation } = await this.#alive2(options);
    this.#log.debug({ name: options.name, creation }, 'registered with epmd');
    return new EpmdRegistration(() => this.#alive2(options), this.#reconnectIntervalMs, socket, creation);
  }

  /** One ALIVE2 exchange; resolves with the still-open socket. */
  async #alive2(options: EpmdRegisterOptions): Promise<{ socket: Socket; creation: number }> {
    const info: EpmdNodeInfo = {
      name: options.name,
      port: options.port,
      nodeType: options.hidden === true ? EPMD_NODE_TYPE.hidden : EPMD_NODE_TYPE.normal,
      protocol: 0,
      highestVersion: EPMD_DEFAULTS.highestVersion,
      lowestVersion: EPMD_DEFAULTS.lowestVersion,
      extra: Buffer.alloc(0),
    };
    let socket: Socket | undefined;
    const answer = (await this.#request(EPMD_DEFAULTS.registerHost, encodeAlive2Request(info), {
      mode: 'parse',
      keepOpen: true,
      parse: (buf, s) => {
        socket = s;
        return decodeAlive2Response(buf);
      },
    })) as { result: number; creation: number };
    if (answer.result !== 0 || socket === undefined) {
      socket?.destroy();
      throw beamNetError(
        BEAM_NET_ERRORS.EPMD,
        `epmd refused to register ${JSON.stringify(options.name)} (ALIVE2 result ${answer.result}): the name is ` +
          'already registered on this host; pick another name or stop the other node',
        { reason: 'taken', name: options.name, result: answer.result },
      );
    }
    return { socket, creation: answer.creation };
  }

  /**
   * Asks the epmd on `host` for the port of `name` (PORT_PLEASE2). `undefined` when epmd has no such name (what
   * makes erl's ping pang).
   *
   * @throws KindredError `KINDRED_ERR_EPMD` with `details.reason` `unreachable`, `timeout`, `protocol_error`.
   */
  async portPlease(host: string, name: string): Promise<EpmdNodeInfo | undefined> {
    const info = (await this.#request(host, encodePortPleaseRequest(name), {
      mode: 'parse',
      parse: (buf) => {
        const r = decodePort2Response(buf);
        return r === 'short' ? undefined : r;
      },
    })) as EpmdNodeInfo | null;
    return info ?? undefined;
  }

  /**
   * The names registered with the epmd on `host` (NAMES), and the port epmd says it listens on.
   *
   * @throws KindredError `KINDRED_ERR_EPMD` with `details.reason` `unreachable`, `timeout`, `protocol_error`.
   */
  async names(host: string): Promise<{ epmdPort: number; names: EpmdName[] }> {
    // The answer ends when epmd closes the connection.
    const buf = (await this.#request(host, encodeNamesRequest(), { mode: 'all' })) as Buffer;
    try {
      return decodeNamesResponse(buf);
    } catch (err) {
      throw this.#error(
        'protocol_error',
        host,
        `epmd on ${host}:${this.port} sent a malformed NAMES answer`,
        err,
      );
    }
  }

  #error(reason: string, host: string, message: string, cause?: unknown): Error {
    return beamNetError(BEAM_NET_ERRORS.EPMD, message, { reason, host, port: this.port }, cause);
  }

  /**
   * Connects to `host`'s epmd, writes `request`, and then either feeds everything read to `parse` until it returns a
   * value (`mode: 'parse'`; with `keepOpen` the socket stays open for the caller), or collects every byte until epmd
   * closes (`mode: 'all'`). Every failure is `KINDRED_ERR_EPMD`.
   */
  #request<T>(
    host: string,
    request: Buffer,
    read:
      | { mode: 'parse'; parse: (buf: Buffer, socket: Socket) => T | undefined; keepOpen?: boolean }
      | { mode: 'all' },
  ): Promise<T | Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const socket = connect({ host, port: this.port });
      const keepOpen = read.mode === 'parse' && read.keepOpen === true;
      const finish = (err: Error | undefined, value?: T | Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err !== undefined || !keepOpen) socket.destroy();
        else socket.removeAllListeners('data');
        if (err !== undefined) reject(err);
        else resolve(value as T | Buffer);
      };
      const timer = setTimeout(
        () =>
          finish(
            this.#error(
              'timeout',
              host,
              `epmd on ${host}:${this.port} did not answer within ${this.#timeoutMs} ms`,
            ),
          ),
        this.#timeoutMs,
      );
      socket.once('connect', () => socket.write(request));
      socket.on('error', (err) =>
        finish(
          this.#error(
            'unreachable',
            host,
            `no epmd answers on ${host}:${this.port} (${(err as NodeJS.ErrnoException).code ?? err.message}); ` +
              `start epmd, or set ${EPMD_DEFAULTS.portEnv} to the port it listens on`,
            err,
          ),
        ),
      );
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (read.mode === 'all') {
          if (size > EPMD_DEFAULTS.maxNamesReplyBytes) {
            finish(
              this.#error('protocol_error', host, `epmd on ${host}:${this.port} sent an oversized answer`),
            );
          }
          return;
        }
        try {
          const v = read.parse(Buffer.concat(chunks, size), socket);
          if (v !== undefined) finish(undefined, v);
        } catch (err) {
          finish(this.#error('protocol_error', host, `epmd on ${host}:${this.port} broke the protocol`, err));
        }
      });
      socket.on('close', () => {
        if (read.mode === 'all') finish(undefined, Buffer.concat(chunks, size));
        else
          finish(
            this.#error(
              'protocol_error',
              host,
              `epmd on ${host}:${this.port} closed the connection before answering`,
            ),
          );
      });
    });
  }
}
