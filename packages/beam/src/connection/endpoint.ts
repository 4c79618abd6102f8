import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  checkNonEmptyString,
  checkPort,
  checkPositiveInt,
  childLogger,
  isKindredError,
  type KindredError,
  type Logger,
} from '@kindred/interface';
import {
  checkCookie,
  checkDialable,
  type NamingMode,
  namingModeOf,
  parseNodeName,
} from '@kindred/node-identity';
import { EpmdClient, type EpmdRegistration } from '../epmd/client.js';
import { type BeamPortResolver, epmdPortResolver, fixedPortResolver } from '../epmd/port-resolver.js';
import { EpmdResponder } from '../epmd/responder.js';
import { BEAM_NET_ERRORS, beamNetError } from '../errors-net.js';
import { acceptHandshake } from '../handshake/acceptor.js';
import { BEAM_HANDSHAKE_DEFAULTS } from '../handshake/defaults.js';
import { handshakeError } from '../handshake/failures.js';
import { DFLAG, KINDRED_DIST_FLAGS, MANDATORY_FLAGS_25 } from '../handshake/flags.js';
import { initiateHandshake } from '../handshake/initiator.js';
import type { HandshakeStatus } from '../handshake/messages.js';
import type { HandshakeResult, HandshakeSelf } from '../handshake/types.js';
import { BeamConnection, type BeamConnectionOptions } from './connection.js';

/**
 * How this node publishes its port and finds its peers': `epmd` registers with the host's epmd and asks each peer
 * host's epmd (erl's default); `embedded` runs an {@link EpmdResponder} for this node (a pod with no Erlang) and
 * asks peers' epmds; `fixed` is epmd-less: listen on `port` and dial every peer on it (`-erl_epmd_port`).
 */
export type BeamDiscoveryMode =
  | { readonly mode: 'epmd' }
  | { readonly mode: 'embedded'; readonly host?: string }
  | { readonly mode: 'fixed'; readonly port: number };

/** Options of {@link BeamEndpoint}. */
export interface BeamEndpointOptions<T> extends BeamConnectionOptions<T> {
  /** This node's full name, `alive@host` (long or short, as erl's `-name` / `-sname`). */
  readonly name: string;
  readonly cookie: string;
  /** A hidden node (no PUBLISHED flag; peers list it in `nodes(hidden)` only). */
  readonly hidden?: boolean;
  /** Flags sent; default {@link KINDRED_DIST_FLAGS}. FRAGMENTS is refused (not supported). */
  readonly flags?: bigint;
  /** Flags a peer must have; default OTP 25's mandatory set (what an OTP 25 node requires). */
  readonly requiredFlags?: bigint;
  /** Each handshake step's deadline; default 7 s (net_setuptime). */
  readonly setupTimeoutMs?: number;
  /** Publishing and port lookup; default `{ mode: 'epmd' }`. */
  readonly discovery?: BeamDiscoveryMode;
  /** EPMD's port (client and embedded responder); default `ERL_EPMD_PORT` or 4369. */
  readonly epmdPort?: number;
  /** Address the distribution listener binds; default all interfaces. */
  readonly listenHost?: string;
  /** Port the distribution listener binds (ignored in `fixed` mode); default 0, the OS picks. */
  readonly listenPort?: number;
  /** Whether a peer may connect (net_kernel:allow/1); refused peers get `not_allowed`. Default: everyone. */
  readonly allow?: (peerName: string) => boolean;
  readonly logger?: Logger;
}

type PairState =
  | { readonly state: 'up'; readonly connection: BeamConnection<unknown> }
  | { readonly state: 'dialing'; readonly attempt: Promise<BeamConnection<unknown>>; lostTie: boolean }
  | { readonly state: 'accepting' };

const OPTION = (option: string) => ({ option, code: BEAM_NET_ERRORS.BEAM_NET_OPTION });

/** A random creation outside 0-3 (net_kernel's create_creation), for a node no epmd gave one. */
function randomCreation(): number {
  for (;;) {
    const c = randomBytes(4).readUInt32BE(0);
    if (c > 3) return c;
  }
}

/**
 * One node's end of Erlang distribution (net_kernel's connection part): a listener, a dialer, the EPMD
 * registration (or embedded responder, or epmd-less port), and one connection per peer. The status rules of the
 * handshake live here: a peer with a live connection gets `alive` (and replaces it when it says so); a peer we are
 * dialing at the same moment gets `nok` if our name is greater (ours wins), else `ok_simultaneous` (theirs wins and
 * our attempt resolves with their connection), so one connection per pair survives.
 *
 * Events: `nodeup` (connection), `nodedown` (peerName, reason, error?), `handshakeFailed` (error).
 */
export class BeamEndpoint<T = unknown> extends EventEmitter {
  /** This node's full name. */
  readonly name: string;
  readonly mode: NamingMode;
  #creation = 0;
  #port = 0;
  #server: Server | undefined;
  #registration: EpmdRegistration | undefined;
  #responder: EpmdResponder | undefined;
  #resolver: BeamPortResolver | undefined;
  #closed = false;
  readonly #options: BeamEndpointOptions<T>;
  readonly #flags: bigint;
  readonly #requiredFlags: bigint;
  readonly #setupTimeoutMs: number;
  readonly #pairs = new Map<string, PairState>();
  readonly #pendingSockets = new Set<Socket>();
  readonly #log: Logger;

  constructor(options: BeamEndpointOptions<T>) {
    super();
    const node = parseNodeName(checkNonEmptyString(OPTION('name'), options.name));
    this.name = options.name;
    this.mode = namingModeOf(node);
    checkCookie(checkNonEmptyString(OPTION('cookie'), options.cookie), 'the cookie option');
    let flags = options.flags ?? KINDRED_DIST_FLAGS;
    if ((flags & DFLAG.FRAGMENTS) !== 0n) {
      throw beamNetError(
        BEAM_NET_ERRORS.BEAM_NET_OPTION,
        'flags must not include FRAGMENTS (not supported)',
        {
          option: 'flags',
        },
      );
    }
    flags = options.hidden === true ? flags & ~DFLAG.PUBLISHED : flags | DFLAG.PUBLISHED;
    this.#flags = flags;
    this.#requiredFlags = options.requiredFlags ?? MANDATORY_FLAGS_25;
    this.#setupTimeoutMs = checkPositiveInt(
      OPTION('setupTimeoutMs'),
      options.setupTimeoutMs ?? BEAM_HANDSHAKE_DEFAULTS.setupTimeoutMs,
    );
    if (options.discovery?.mode === 'fixed') checkPort(OPTION('discovery.port'), options.discovery.port);
    if (options.listenPort !== undefined)
      checkPort(OPTION('listenPort'), options.listenPort, { allowZero: true });
    this.#options = options;
    this.#log = childLogger(options.logger, { component: 'beam' });
  }

  /** This node's creation (after start). */
  get creation(): number {
    return this.#creation;
  }

  /** The distribution listen port (after start). */
  get port(): number {
    return this.#port;
  }

  /** The embedded EPMD's port, in `embedded` mode. */
  get epmdResponderPort(): number | undefined {
    return this.#responder?.port;
  }

  /**
   * Listens, then publishes: registers with epmd (its creation becomes ours), or starts the embedded responder, or
   * (epmd-less) nothing, with a random creation.
   *
   * @throws KindredError `KINDRED_ERR_EPMD` (epmd unreachable, the name is taken, the responder's port busy),
   *   `KINDRED_ERR_BEAM_NET_OPTION` when the listen port is busy.
   */
  async start(): Promise<void> {
    const discovery = this.#options.discovery ?? { mode: 'epmd' };
    const alive = parseNodeName(this.name).name;
    const listenPort = discovery.mode === 'fixed' ? discovery.port : (this.#options.listenPort ?? 0);
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          beamNetError(
            BEAM_NET_ERRORS.BEAM_NET_OPTION,
            `cannot listen on port ${listenPort}: ${err.message}`,
            { option: 'listenPort' },
            err,
          ),
        ),
      );
      server.listen(listenPort, this.#options.listenHost ?? '::', () => resolve());
    });
    this.#server = server;
    const address = server.address();
    this.#port = address !== null && typeof address !== 'string' ? address.port : listenPort;
    try {
      if (discovery.mode === 'fixed') {
        this.#creation = randomCreation();
        this.#resolver = fixedPortResolver(discovery.port);
        return;
      }
      const client = new EpmdClient({
        ...(this.#options.epmdPort === undefined ? {} : { port: this.#options.epmdPort }),
        ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      });
      this.#resolver = epmdPortResolver(client);
      if (discovery.mode === 'epmd') {
        this.#registration = await client.register({
          name: alive,
          port: this.#port,
          ...(this.#options.hidden === true ? { hidden: true } : {}),
        });
        this.#creation = this.#registration.creation;
      } else {
        this.#responder = new EpmdResponder({
          name: alive,
          nodePort: this.#port,
          port: client.port,
          ...(discovery.host === undefined ? {} : { host: discovery.host }),
          ...(this.#options.hidden === true ? { hidden: true } : {}),
          ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
        });
        await this.#responder.listen();
        this.#creation = randomCreation();
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  #self(): HandshakeSelf {
    return {
      name: this.name,
      cookie: this.#options.cookie,
      creation: this.#creation,
      flags: this.#flags,
      requiredFlags: this.#requiredFlags,
      setupTimeoutMs: this.#setupTimeoutMs,
      logger: this.#log,
    };
  }

  /** The live connection to `node`, if any. */
  connection(node: string): BeamConnection<T> | undefined {
    const pair = this.#pairs.get(node);
    return pair?.state === 'up' ? (pair.connection as BeamConnection<T>) : undefined;
  }

  /** The names of the nodes with a live connection. */
  nodes(): string[] {
    return [...this.#pairs].filter(([, p]) => p.state === 'up').map(([n]) => n);
  }

  /**
   * The connection to `node`, dialing it if there is none (one attempt at a time per peer).
   *
   * @throws KindredError `KINDRED_ERR_ILLEGAL_HOSTNAME` (a name this naming mode cannot dial, erl's "Hostname H
   *   is illegal"), `KINDRED_ERR_EPMD` (no such node on its host's epmd: pang), `KINDRED_ERR_BEAM_HANDSHAKE`
   *   (`details.reason`), `KINDRED_ERR_BEAM_SETUP_TIMEOUT`, `KINDRED_ERR_BEAM_CLOSED`.
   */
  async connect(node: string): Promise<BeamConnection<T>> {
    this.#checkOpen();
    const pair = this.#pairs.get(node);
    if (pair?.state === 'up') return pair.connection as BeamConnection<T>;
    if (pair?.state === 'dialing') return (await pair.attempt) as BeamConnection<T>;
    if (pair?.state === 'accepting') return (await this.#awaitUp(node)) as BeamConnection<T>;
    checkDialable(node, this.mode);
    const entry: PairState & { state: 'dialing' } = {
      state: 'dialing',
      attempt: this.#dial(node).then(
        (c) => c,
        async (err: unknown) => {
          // We said ok_simultaneous to the peer's own attempt, or it answered nok: its connection is the one.
          if (entry.lostTie || (isKindredError(err) && err.details?.reason === 'nok')) {
            return this.#awaitUp(node);
          }
          throw err;
        },
      ),
      lostTie: false,
    };
    this.#pairs.set(node, entry);
    try {
      return (await entry.attempt) as BeamConnection<T>;
    } finally {
      if (this.#pairs.get(node) === entry) this.#pairs.delete(node);
    }
  }

  async #dial(node: string): Promise<BeamConnection<unknown>> {
    const target = parseNodeName(node);
    const resolver = this.#resolver;
    if (resolver === undefined) {
      throw beamNetError(BEAM_NET_ERRORS.BEAM_CLOSED, 'the endpoint is not started', {
        reason: 'not_started',
      });
    }
    const port = await resolver.portOf(target);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host: target.host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          handshakeError('setup_timeout', `TCP connect to ${node} (${target.host}:${port}) timed out`, {
            peer: { name: node },
          }),
        );
      }, this.#setupTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => {});
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(
          handshakeError(
            'connection_closed',
            `cannot connect to ${node} at ${target.host}:${port}: ${err.message}`,
            { peer: { name: node } },
            err,
          ),
        );
      });
    });
    this.#pendingSockets.add(socket);
    try {
      const hs = await initiateHandshake(socket, this.#self(), node);
      return this.#up(hs);
    } catch (err) {
      this.emit('handshakeFailed', err);
      throw err;
    } finally {
      this.#pendingSockets.delete(socket);
    }
  }

  #awaitUp(node: string): Promise<BeamConnection<unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          handshakeError('setup_timeout', `${node}'s own connection did not come up`, {
            peer: { name: node },
          }),
        );
      }, this.#setupTimeoutMs);
      const onUp = (c: BeamConnection<unknown>): void => {
        if (c.peerName !== node) return;
        cleanup();
        resolve(c);
      };
      const onFail = (err: KindredError): void => {
        const name = (err.details?.peer as { name?: string } | undefined)?.name;
        if (name !== node) return;
        cleanup();
        reject(err);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('nodeup', onUp);
        this.off('handshakeFailed', onFail);
      };
      this.on('nodeup', onUp);
      this.on('handshakeFailed', onFail);
    });
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    this.#pendingSockets.add(socket);
    let accepting: string | undefined;
    acceptHandshake(socket, this.#self(), (peer) => {
      const status = this.#decide(peer);
      if (status === 'ok' || status === 'ok_simultaneous') {
        if (status === 'ok') this.#pairs.set(peer, { state: 'accepting' });
        accepting = peer;
      }
      return status;
    }).then(
      (hs) => {
        this.#pendingSockets.delete(socket);
        this.#up(hs);
      },
      (err: KindredError) => {
        this.#pendingSockets.delete(socket);
        if (accepting !== undefined && this.#pairs.get(accepting)?.state === 'accepting')
          this.#pairs.delete(accepting);
        this.#log.debug(
          { reason: err.details?.reason, peer: err.details?.peer },
          'incoming handshake failed',
        );
        this.emit('handshakeFailed', err);
      },
    );
  }

  /** net_kernel's accept_pending rules. */
  #decide(peer: string): HandshakeStatus {
    if (this.#closed) return 'not_allowed';
    if (this.#options.allow !== undefined && !this.#options.allow(peer)) return 'not_allowed';
    const pair = this.#pairs.get(peer);
    if (pair === undefined) return 'ok';
    if (pair.state === 'up') return 'alive';
    if (pair.state === 'accepting') return 'nok';
    // We are dialing it too: the greater name's attempt wins.
    if (this.name > peer) return 'nok';
    pair.lostTie = true;
    return 'ok_simultaneous';
  }

  #up(hs: HandshakeResult): BeamConnection<unknown> {
    if (this.#closed) {
      hs.socket.destroy();
      throw beamNetError(BEAM_NET_ERRORS.BEAM_CLOSED, 'the endpoint closed during the handshake', {
        reason: 'shutdown',
      });
    }
    const old = this.#pairs.get(hs.peerName);
    if (old?.state === 'up') old.connection.close('replaced');
    const conn = new BeamConnection<T>(hs, this.#options);
    this.#pairs.set(hs.peerName, { state: 'up', connection: conn as BeamConnection<unknown> });
    conn.once('close', (reason: string, error?: KindredError) => {
      const pair = this.#pairs.get(hs.peerName);
      if (pair?.state === 'up' && pair.connection === (conn as BeamConnection<unknown>))
        this.#pairs.delete(hs.peerName);
      this.emit('nodedown', hs.peerName, reason, error);
    });
    this.emit('nodeup', conn);
    return conn as BeamConnection<unknown>;
  }

  #checkOpen(): void {
    if (this.#closed)
      throw beamNetError(BEAM_NET_ERRORS.BEAM_CLOSED, 'the endpoint is closed', { reason: 'shutdown' });
  }

  /** Closes every connection, the listener, the registration or the responder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [, pair] of this.#pairs) if (pair.state === 'up') pair.connection.close('normal');
    for (const s of this.#pendingSockets) s.destroy();
    this.#registration?.close();
    await this.#responder?.close();
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
