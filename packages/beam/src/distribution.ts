import { EventEmitter } from 'node:events';
import { childLogger, type KindredError, type Logger } from '@kindred/interface';
import type { BeamConnection } from './connection/connection.js';
import { BEAM_CONNECTION_DEFAULTS } from './connection/defaults.js';
import { BeamEndpoint, type BeamEndpointOptions } from './connection/endpoint.js';
import { createEtfCodec } from './connection/etf-codec.js';
import { BEAM_NET_ERRORS, beamNetError } from './errors-net.js';
import { ETF_DEFAULTS } from './etf/defaults.js';
import { Atom, atom, isAtom, Pid, type Term, Tuple } from './etf/terms.js';
import { DFLAG, KINDRED_DIST_FLAGS } from './handshake/flags.js';
import { type PgWireMessage, pgPayload, readPg } from './pg-wire.js';
import {
  type BeamValueAdapter,
  ctlAtom,
  IDENTITY_ADAPTER,
  SPAWN_REQUEST,
  WireValues,
} from './wire-values.js';

export type { BeamValueAdapter } from './wire-values.js';

/**
 * What `rpc:call(Node, M, F, Args)` and `erpc:call` from a BEAM node run here (erpc's SPAWN_REQUEST of
 * `erpc:execute_call/4`): `{ value }` is returned to the caller, `{ undef: true }` answers as BEAM does for a
 * function that does not exist (`{badrpc, {'EXIT', {undef, [{M, F, Args, []}]}}}`), `{ error }` raises an error
 * `{kindred, Message}` in the caller.
 */
export type BeamRpcHandler = (
  module: string,
  fn: string,
  args: unknown[],
) => Promise<{ value: unknown } | { undef: true } | { error: string }>;

/** Options of {@link createBeamDistribution}: the endpoint's (see {@link BeamEndpointOptions}) and the adapter. */
export interface BeamDistributionOptions extends Omit<BeamEndpointOptions<Term>, 'codec'> {
  /** How the layer above's pids, refs and frames map to terms; default: this package's own classes. */
  readonly adapter?: BeamValueAdapter;
}

/** Counters of a {@link BeamDistribution}. */
export interface BeamDistributionStats {
  /** Frames handed to the layer above. */
  framesIn: number;
  /** Frames sent. */
  framesOut: number;
  /** Control messages with an operation the runtime does not handle (ALIAS_SEND, GROUP_LEADER, UNLINK, ...), dropped. */
  droppedOps: number;
  /** Control messages that were not a tuple starting with an integer, dropped. */
  malformed: number;
  /** `net_kernel` `is_auth` calls answered `yes` (erl's `net_adm:ping`). */
  isAuthAnswered: number;
  /** erpc calls (`rpc:call`, `erpc:call` from a BEAM node) run. */
  erpcCalls: number;
  /** `global`'s `init_connect` from a BEAM node answered `{in_sync, Node, true}` (so erl's `global:sync()` returns). */
  globalInSync: number;
}

/** Operations the runtime handles, with Erlang's numbers (runtime/src/control.ts's `OP`). */
const KNOWN_OPS = new Set([1, 2, 3, 6, 8, 19, 20, 21, 22, 29, 31, 35, 36]);
const NET_KERNEL = 'net_kernel';
/** The serial of the pids this node's pg scopes go by on the wire (no runtime process has it; erpc's is 8191). */
const PG_SERIAL = 8190;
/** `global`'s server on every BEAM node: erl casts `init_connect` to it on nodeup. */
const GLOBAL_NAME_SERVER = 'global_name_server';
/** The pid this node's answers to `global` come from (no runtime process has it; pg's is 8190, erpc's 8191). */
const GLOBAL_SERIAL = 8189;

/** `{erpc, execute_call, 4}`: what rpc:call and erpc:call spawn. */
function isErpcCall(mfa: Term | undefined): boolean {
  return (
    mfa instanceof Tuple &&
    isAtom(mfa.elements[0], 'erpc') &&
    isAtom(mfa.elements[1], 'execute_call') &&
    mfa.elements[2] === 4
  );
}

/** Counters of one connected peer, in the shape the runtime's `Distribution.stats()` gives them. */
export interface BeamPeerStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Frames received: one control message (with its payload) each. */
  readonly messagesIn: number;
  /** Frames sent. */
  readonly messagesOut: number;
}

/**
 * The runtime's `Distribution` (packages/runtime/src/distribution.ts) over Erlang's own wire: a {@link BeamEndpoint}
 * whose frames `[control, payload?]` are translated to Erlang's control tuples and back. In control positions,
 * runtime strings are atoms (and atoms come back as strings); pids and refs go through the {@link BeamValueAdapter};
 * a SPAWN_REQUEST's `[M, F, Arity]` is the tuple `{M, F, Arity}`; everything else (payloads, reasons that are not
 * strings) goes through the natural mapping of README.md. Erlang's trace-token and payload variants (SEND_TT,
 * PAYLOAD_EXIT, PAYLOAD_MONITOR_P_EXIT, SPAWN_REQUEST_TT, ...) arrive as their base operation; operations the
 * runtime has no meaning for are dropped and counted, as BEAM drops a message to an inactive alias. `net_kernel`'s
 * `is_auth` (erl's `net_adm:ping`) is answered `yes` here.
 *
 * Events (the runtime's): `message` (node, `[control, payload?]`, the frame's wire bytes), `nodeup` (node, `{ hidden, direction }`), `nodedown` (node,
 * reason: `connection_closed`, `net_tick_timeout`, `disconnect` when closed here, ...).
 */
export class BeamDistribution extends EventEmitter {
  /** The endpoint (connections, EPMD, handshake). */
  readonly endpoint: BeamEndpoint<Term>;
  /** This wire's own counters (frames, dropped and malformed control messages, is_auth and erpc answered). */
  readonly counters: BeamDistributionStats = {
    framesIn: 0,
    framesOut: 0,
    droppedOps: 0,
    malformed: 0,
    isAuthAnswered: 0,
    erpcCalls: 0,
    globalInSync: 0,
  };
  #rpc: BeamRpcHandler | undefined;
  #erpcIds = 0;
  /** Scope name -> the pid the scope goes by on the wire (OTP pg's `Peer`); by that pid's id, the scope. */
  readonly #pgPids = new Map<string, Pid>();
  readonly #pgScopes = new Map<number, string>();
  /** Peer node -> scope name -> the peer scope's pid (from its `discover`/`sync`). */
  readonly #pgPeers = new Map<string, Map<string, Pid>>();
  readonly #adapter: BeamValueAdapter;
  /** The runtime's values as terms and back (pids, refs, calls, replies through the adapter). */
  readonly #values: WireValues;
  readonly #log: Logger;

  /** Use {@link createBeamDistribution} (which also starts it). */
  constructor(options: BeamDistributionOptions) {
    super();
    this.#adapter = options.adapter ?? IDENTITY_ADAPTER;
    this.#values = new WireValues(this.#adapter);
    this.#log = childLogger(options.logger, { component: 'beam-distribution' });
    // One codec per connection whose encoder writes the runtime's values as they are (pids and refs through the
    // adapter at any depth): no converted copy of each message before it is encoded.
    const maxFrameBytes = options.maxFrameBytes ?? BEAM_CONNECTION_DEFAULTS.maxFrameBytes;
    const adapt = this.#values.adaptForEncoder;
    this.endpoint = new BeamEndpoint<Term>({
      ...options,
      // The distribution header's atom cache, as erl nodes use between themselves: each atom of a message is a
      // one-byte reference once the peer holds it (both ways), where the 'p' layout spells every atom every time.
      flags: options.flags ?? KINDRED_DIST_FLAGS | DFLAG.DIST_HDR_ATOM_CACHE,
      codec: () =>
        createEtfCodec({
          // Binaries are views into the frame: the value mapping (WireValues.fromWire) copies those that stay
          // Buffers and reads strings where they are.
          decoder: {
            maxInflatedBytes: Math.min(maxFrameBytes, ETF_DEFAULTS.maxInflatedBytes),
            copyBinaries: false,
          },
          encoder: { adapt },
        }),
    });
    this.endpoint.on('nodeup', (c: BeamConnection<Term>) => this.#nodeup(c));
    this.endpoint.on('nodedown', (node: string, reason: string, error?: KindredError) => {
      const why = reason === 'normal' ? 'disconnect' : reason;
      this.#pgPeers.delete(node);
      this.#log.debug({ peer: { name: node }, reason: why, err: error }, 'nodedown');
      this.emit('nodedown', node, why);
    });
  }

  /** This node's name. */
  get name(): string {
    return this.endpoint.name;
  }

  /** This node's creation: the runtime must make its pids with it (erl drops signals to other incarnations). */
  get creation(): number {
    return this.endpoint.creation;
  }

  /** The distribution listen port. */
  get port(): number {
    return this.endpoint.port;
  }

  /** Sets what `rpc:call`/`erpc:call` from BEAM nodes run; without one every such call is `undef`. */
  setRpcHandler(handler: BeamRpcHandler | undefined): void {
    this.#rpc = handler;
  }

  /** Listens and publishes (see {@link BeamEndpoint.start}). */
  async start(): Promise<void> {
    await this.endpoint.start();
  }

  #nodeup(c: BeamConnection<Term>): void {
    const hidden = (c.flags & DFLAG.PUBLISHED) === 0n;
    c.on('message', ({ control, payload, bytes }: { control: Term; payload?: Term; bytes: number }) => {
      let frame: unknown[] | undefined;
      try {
        frame = this.#inbound(c, control, payload);
      } catch (err) {
        // A term the natural mapping cannot give the runtime: dropped, the connection stays (as a bad message).
        this.counters.malformed++;
        this.#log.warn({ peer: { name: c.peerName }, err }, 'dropped a frame that has no runtime form');
        return;
      }
      if (frame === undefined) return;
      this.counters.framesIn++;
      // The runtime charges this to the mailbox the message waits in (maxMailboxBytes, maxQueuedBytesPerPeer).
      this.emit('message', c.peerName, frame, bytes);
    });
    this.emit('nodeup', c.peerName, { hidden, direction: c.role === 'initiator' ? 'out' : 'in' });
  }

  /** Erlang's control tuple (and payload) as the runtime's frame, or undefined when it is handled or dropped here. */
  #inbound(c: BeamConnection<Term>, control: Term, payload: Term | undefined): unknown[] | undefined {
    if (!(control instanceof Tuple) || typeof control.elements[0] !== 'number') {
      this.counters.malformed++;
      this.#log.warn({ peer: { name: c.peerName } }, 'dropped a control message that is not {Op, ...}');
      return undefined;
    }
    let e = control.elements;
    let op = e[0] as number;
    let msg = payload;
    switch (op) {
      case 12: // SEND_TT {12, '', To, Token}
        e = [2, e[1]!, e[2]!];
        break;
      case 13: // EXIT_TT {13, From, To, Token, Reason}
      case 18: // EXIT2_TT
        e = [op === 13 ? 3 : 8, e[1]!, e[2]!, e[4]!];
        break;
      case 16: // REG_SEND_TT {16, From, '', Name, Token}
        e = [6, e[1]!, e[2]!, e[3]!];
        break;
      case 23: // SEND_SENDER_TT {23, From, To, Token}
        e = [22, e[1]!, e[2]!];
        break;
      case 24: // PAYLOAD_EXIT {24, From, To} + Reason
      case 25: // PAYLOAD_EXIT_TT {25, From, To, Token} + Reason
      case 26: // PAYLOAD_EXIT2
      case 27: // PAYLOAD_EXIT2_TT
        e = [op <= 25 ? 3 : 8, e[1]!, e[2]!, payload ?? atom('normal')];
        msg = undefined;
        break;
      case 28: // PAYLOAD_MONITOR_P_EXIT {28, FromProc, To, Ref} + Reason
        e = [21, e[1]!, e[2]!, e[3]!, payload ?? atom('normal')];
        msg = undefined;
        break;
      case 30: // SPAWN_REQUEST_TT: the token is last
      case 32: // SPAWN_REPLY_TT
        e = [op - 1, ...e.slice(1, -1)];
        break;
      default:
    }
    op = e[0] as number;
    if (!KNOWN_OPS.has(op)) {
      this.counters.droppedOps++;
      this.#log.debug(
        { peer: { name: c.peerName }, op },
        'dropped a control message the runtime does not handle',
      );
      return undefined;
    }
    if (op === 6 && isAtom(e[3], NET_KERNEL)) {
      this.#netKernel(c, msg);
      return undefined;
    }
    if (op === 6 && isAtom(e[3], GLOBAL_NAME_SERVER) && this.#global(c, msg)) return undefined;
    // gen:call monitors {net_kernel, Node} by name before it sends is_auth: the monitor is kept here (it never
    // fires; on connection loss erl raises noconnection itself), so net_adm:ping does not see noproc. The same for
    // OTP pg's monitor of this node's scope pids.
    if ((op === 19 || op === 20) && (isAtom(e[2], NET_KERNEL) || this.#pgScopeOf(e[2]) !== undefined)) {
      return undefined;
    }
    if (op === 6 && e[3] instanceof Atom && this.#pgPids.has(e[3].name)) {
      if (this.#pgInbound(c, e[3].name, msg)) return undefined;
    }
    if (op === 2 || op === 22) {
      const scope = this.#pgScopeOf(e[2]);
      if (scope !== undefined && this.#pgInbound(c, scope, msg)) return undefined;
    }
    if (op === SPAWN_REQUEST && isErpcCall(e[4])) {
      this.#erpc(c, e, msg);
      return undefined;
    }
    const ctl: unknown[] = e.map((x, i) => {
      if (i === 0) return x;
      if (x instanceof Atom) return x.name;
      if (op === SPAWN_REQUEST && i === 4 && x instanceof Tuple) {
        return x.elements.map((y) => (y instanceof Atom ? y.name : this.#values.fromWire(y)));
      }
      return this.#values.fromWire(x);
    });
    return msg === undefined ? [ctl] : [ctl, this.#values.messageFromWire(msg)];
  }

  /** The pid this node's scope `scope` goes by on the wire. */
  #pgPid(scope: string): Pid {
    let p = this.#pgPids.get(scope);
    if (p === undefined) {
      p = new Pid(atom(this.name), this.#pgPids.size + 1, PG_SERIAL, this.creation);
      this.#pgPids.set(scope, p);
      this.#pgScopes.set(p.id, scope);
    }
    return p;
  }

  /** The scope whose wire pid `t` is, if it is one. */
  #pgScopeOf(t: Term | undefined): string | undefined {
    if (!(t instanceof Pid) || t.serial !== PG_SERIAL || t.node.name !== this.name) return undefined;
    return this.#pgScopes.get(t.id);
  }

  /**
   * OTP pg's message from `c` to this node's scope `scope`, handed to the runtime as that scope's messages (REG_SEND
   * from the peer scope's pid to the scope's name); false when the payload is not one (it then goes as it is).
   */
  #pgInbound(c: BeamConnection<Term>, scope: string, payload: Term | undefined): boolean {
    const read = readPg(payload);
    if (read === undefined || read.peer.node.name !== c.peerName) return false;
    this.counters.malformed += read.dropped;
    let peers = this.#pgPeers.get(c.peerName);
    if (peers === undefined) {
      peers = new Map();
      this.#pgPeers.set(c.peerName, peers);
    }
    peers.set(scope, read.peer);
    const from = this.#adapter.fromPid(read.peer);
    for (const m of read.messages) {
      const message =
        m.type === 'sync'
          ? {
              type: 'sync',
              groups: m.groups.map(([g, pids]) => [g, pids.map((p) => this.#values.fromWire(p as Term))]),
            }
          : m.type === 'discover'
            ? m
            : { ...m, pids: m.pids.map((p) => this.#values.fromWire(p as Term)) };
      this.counters.framesIn++;
      this.emit('message', c.peerName, [[6, from, '', scope], message], 0);
    }
    return true;
  }

  /** The runtime's scope message as OTP pg's: `discover` to `{Scope, Node}`, the rest to the peer scope's pid. */
  #pgSend(c: BeamConnection<Term>, scope: string, message: PgWireMessage): void {
    const self = this.#pgPid(scope);
    const payload = pgPayload(self, message, (v) => this.#values.toWire(v));
    if (message.type === 'discover') {
      c.send(new Tuple([6, self, atom(''), ctlAtom(scope)]), payload);
      return;
    }
    const peer = this.#pgPeers.get(c.peerName)?.get(scope);
    if (peer === undefined) {
      // Only a discover from the peer's scope tells its pid; the runtime answers one, so this is a scope stopped
      // and restarted between the two.
      this.counters.droppedOps++;
      return;
    }
    c.send(new Tuple([2, atom(''), peer]), payload);
  }

  /** net_kernel: `{'$gen_call', {From, Tag}, {is_auth, Node}}` gets `{Tag, yes}` (what net_adm:ping waits for). */
  #netKernel(c: BeamConnection<Term>, msg: Term | undefined): void {
    if (!(msg instanceof Tuple) || !isAtom(msg.elements[0], '$gen_call')) return;
    const [, from, req] = msg.elements;
    if (!(from instanceof Tuple) || !(req instanceof Tuple) || !isAtom(req.elements[0], 'is_auth')) return;
    const [pid, tag] = from.elements;
    if (!(pid instanceof Pid) || tag === undefined) return;
    c.send(new Tuple([2, atom(''), pid]), new Tuple([tag, atom('yes')]));
    this.counters.isAuthAnswered++;
  }

  /**
   * `global` (OTP 25's global.erl): on nodeup erl's `global_name_server` casts
   * `{'$gen_cast', {init_connect, {Vsn, Tag}, Node, {locker, _, Known, Locker}}}` here and its `global:sync()` waits
   * until this node is synced (a full peer would run global's lock, `exchange` and `resolved` steps). This node holds
   * no global names and takes no global locks, so it answers as a node already in sync: `{in_sync, ThisNode, true}`
   * to `{global_name_server, Peer}`, which marks it synced on the peer (sync returns) and ends the peer's connect
   * session (its resolver and locker entry), without making it one of global's known nodes (names and locks stay
   * between the BEAM nodes). Returns false for any other message (it then goes to the runtime as it is).
   */
  #global(c: BeamConnection<Term>, msg: Term | undefined): boolean {
    if (!(msg instanceof Tuple) || !isAtom(msg.elements[0], '$gen_cast')) return false;
    const req = msg.elements[1];
    if (!(req instanceof Tuple) || !isAtom(req.elements[0], 'init_connect')) return false;
    // init_connect only comes from the peer's own server about the peer itself; anything else is left alone.
    if (!isAtom(req.elements[2], c.peerName)) return false;
    const from = new Pid(atom(this.name), 1, GLOBAL_SERIAL, this.creation);
    c.send(
      new Tuple([6, from, atom(''), atom(GLOBAL_NAME_SERVER)]),
      new Tuple([atom('$gen_cast'), new Tuple([atom('in_sync'), atom(this.name), atom('true')])]),
    );
    this.counters.globalInSync++;
    return true;
  }

  /**
   * erpc's server side: `{29, ReqId, From, GL, {erpc, execute_call, 4}, Opts}` + `[Ref, M, F, A]`. Replies
   * SPAWN_REPLY with a pid of this node that no runtime process can have (serial 8191) and the monitor flag, runs the
   * handler, then ends the monitor with erpc's result as the reason: `{Ref, return, V}`, or
   * `{Ref, error, Reason, Stack}`.
   */
  #erpc(c: BeamConnection<Term>, e: readonly Term[], payload: Term | undefined): void {
    const reqId = e[1];
    const from = e[2];
    if (!(from instanceof Pid) || reqId === undefined) {
      this.counters.malformed++;
      return;
    }
    const args = Array.isArray(payload) ? payload : [];
    const [ref, m, f, a] = args;
    if (ref === undefined || !(m instanceof Atom) || !(f instanceof Atom) || !Array.isArray(a)) {
      c.send(new Tuple([31, reqId, from, 0, atom('badarg')]));
      return;
    }
    this.#erpcIds = (this.#erpcIds + 1) & 0x7fff;
    const pid = new Pid(atom(this.name), this.#erpcIds, 8191, this.creation);
    c.send(new Tuple([31, reqId, from, 2, pid]));
    this.counters.erpcCalls++;
    const done = (reason: Term): void => {
      if (c.open) c.send(new Tuple([21, pid, from, reqId, reason]));
    };
    const undef = (): Tuple => new Tuple([ref, atom('error'), atom('undef'), [new Tuple([m, f, a, []])]]);
    const handler = this.#rpc;
    if (handler === undefined) {
      done(undef());
      return;
    }
    let jsArgs: unknown[];
    try {
      jsArgs = a.map((x) => this.#values.fromWire(x));
    } catch {
      done(undef());
      return;
    }
    handler(m.name, f.name, jsArgs).then(
      (r) => {
        if ('value' in r) {
          let v: Term;
          try {
            v = this.#values.toWire(r.value);
          } catch (err) {
            done(this.#erpcError(ref, `the result has no Erlang term: ${(err as Error).message}`));
            return;
          }
          done(new Tuple([ref, atom('return'), v]));
        } else if ('undef' in r) done(undef());
        else done(this.#erpcError(ref, r.error));
      },
      (err: unknown) => done(this.#erpcError(ref, err instanceof Error ? err.message : String(err))),
    );
  }

  #erpcError(ref: Term, message: string): Tuple {
    return new Tuple([
      ref,
      atom('error'),
      new Tuple([atom('kindred'), Buffer.from(message.slice(0, 1000), 'utf8')]),
      [],
    ]);
  }

  /**
   * Sends the runtime's frame `[control, payload?]` to `node`.
   *
   * @throws KindredError `KINDRED_ERR_BEAM_CLOSED` when not connected; the connection's send errors; the codec's
   *   `KINDRED_ERR_ETF_ENCODE` for a value with no Erlang term.
   */
  send(node: string, message: unknown): void {
    const frame = this.#adapter.unwrapFrame?.(message) ?? message;
    if (!Array.isArray(frame) || !Array.isArray(frame[0])) {
      throw beamNetError(BEAM_NET_ERRORS.BEAM_NET_OPTION, 'a frame is [control, payload?]', {
        option: 'message',
      });
    }
    const c = this.endpoint.connection(node);
    if (c === undefined) {
      throw beamNetError(BEAM_NET_ERRORS.BEAM_CLOSED, `not connected to ${node}`, {
        reason: 'not_connected',
        peer: { name: node },
      });
    }
    const pg = frame.length > 1 ? this.#adapter.pgOf?.(frame[0] as unknown[], frame[1]) : undefined;
    if (pg !== undefined) {
      this.#pgSend(c, pg.scope, pg.message);
      this.counters.framesOut++;
      return;
    }
    const control = this.#values.controlTerm(frame[0] as unknown[]);
    if (frame.length > 1) c.send(control, this.#values.messageToWire(frame[1]) as Term);
    else c.send(control);
    this.counters.framesOut++;
  }

  /**
   * Connects to `node` (erl's `net_kernel:connect_node`); `opts` are kindred-wire hints and are ignored here (EPMD
   * or the fixed port tells where a node listens). Rejects as the endpoint does (pang).
   */
  async connect(node: string, _opts?: { port?: number; address?: string }): Promise<void> {
    await this.endpoint.connect(node);
  }

  /** Drops the connection to `node` (erl's `disconnect_node`): a nodedown `disconnect` follows. */
  disconnect(node: string): void {
    const c = this.endpoint.connection(node);
    if (c === undefined) return;
    c.close('normal');
  }

  /** Connected visible peers (those that sent PUBLISHED, and only when this node is not hidden). */
  nodes(): string[] {
    return this.endpoint
      .nodes()
      .filter((n) => ((this.endpoint.connection(n)?.flags ?? 0n) & DFLAG.PUBLISHED) !== 0n);
  }

  /** Every connected peer, hidden ones included (erl's `nodes(connected)`). */
  connectedNodes(): string[] {
    return this.endpoint.nodes();
  }

  /**
   * Counters of each connected peer, in the runtime's shape (the runtime's observe and metrics read them): bytes and
   * frames in and out (frames stand for messages here: one control message, with its payload, per frame).
   */
  stats(): { readonly peers: Readonly<Record<string, BeamPeerStats>> } {
    const peers: Record<string, BeamPeerStats> = {};
    for (const node of this.endpoint.nodes()) {
      const c = this.endpoint.connection(node);
      if (c === undefined) continue;
      peers[node] = {
        bytesIn: c.stats.bytesIn,
        bytesOut: c.stats.bytesOut,
        messagesIn: c.stats.framesIn,
        messagesOut: c.stats.framesOut,
      };
    }
    return { peers };
  }

  /** Closes every connection, the listener and the EPMD registration or responder. */
  async close(): Promise<void> {
    await this.endpoint.close();
  }
}

/**
 * Starts a {@link BeamDistribution}: listens and publishes (EPMD, the embedded responder or epmd-less, as
 * `discovery` says), so the node is ready for `createNode({ distribution, creation: dist.creation })`.
 *
 * @throws KindredError as {@link BeamEndpoint.start}.
 */
export async function createBeamDistribution(options: BeamDistributionOptions): Promise<BeamDistribution> {
  const d = new BeamDistribution(options);
  await d.start();
  return d;
}
