/**
 * The runtime over Erlang's own wire (@kindred/beam): the adapter that maps the runtime's {@link Pid} and {@link Ref}
 * to Erlang's pids and refs (same fields: node, id, serial, creation; node, creation, words) and unwraps the
 * runtime's SendFrame, and the distribution built with it.
 */
import {
  Atom,
  atom,
  type BeamDistribution,
  type BeamDistributionOptions,
  type BeamRpcHandler,
  type BeamValueAdapter,
  BitBinary,
  createBeamDistribution,
  ErlMap,
  Pid as ErlPid,
  Ref as ErlRef,
  Export,
  Float,
  Fun,
  ImproperList,
  type PgWireMessage,
  Port,
  Tuple,
} from '@kindred/beam';
import { isKindredError } from '@kindred/dns';
import { OP } from './control.js';
import { SYSTEM_NAMES } from './defaults.js';
import { SendFrame } from './envelope.js';
import { RUNTIME_ERRORS } from './errors.js';
import { type CallMessage, isCallMessage, isReplyMessage, type ReplyMessage } from './messages.js';
import type { KNode } from './node.js';
import { Pid, Ref } from './terms.js';

const SYSTEM_NAME_SET: ReadonlySet<string> = new Set(Object.values(SYSTEM_NAMES));

/**
 * A pg scope's message (pg.ts: `{ type: 'discover' | 'sync' | 'join' | 'leave', ... }`, sent by REG_SEND from the
 * node's system pid, id 0 serial 0, to the scope's name), or undefined for any other frame.
 */
function pgOf(
  control: readonly unknown[],
  payload: unknown,
): { scope: string; message: PgWireMessage } | undefined {
  const [op, from, , scope] = control;
  if (op !== OP.REG_SEND || !(from instanceof Pid) || from.id !== 0 || from.serial !== 0) return undefined;
  if (typeof scope !== 'string' || SYSTEM_NAME_SET.has(scope)) return undefined;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const m = payload as { type?: unknown; group?: unknown; pids?: unknown; groups?: unknown };
  if (m.type === 'discover') return { scope, message: { type: 'discover' } };
  if (m.type === 'sync' && Array.isArray(m.groups)) {
    return { scope, message: { type: 'sync', groups: m.groups as [string, unknown[]][] } };
  }
  if ((m.type === 'join' || m.type === 'leave') && typeof m.group === 'string' && Array.isArray(m.pids)) {
    return { scope, message: { type: m.type, group: m.group, pids: m.pids } };
  }
  return undefined;
}

/**
 * The term classes messages may hold on Erlang's wire besides plain data (a node's `wireClasses`): what erl sends
 * arrives as them (README of @kindred/beam, "Erlang → JS"), so a process can send it on, locally or back to erl.
 */
export const BEAM_WIRE_CLASSES = Object.freeze([
  Atom,
  Tuple,
  ImproperList,
  BitBinary,
  Float,
  ErlMap,
  Port,
  Fun,
  Export,
  ErlPid,
  ErlRef,
]);

/**
 * The runtime's values on Erlang's wire: its pids and refs field for field, its SendFrame as `[[SEND, '', to], msg]`,
 * its call and reply messages as gen_server's `{'$gen_call', {Pid, Ref}, Request}` and `{Ref, Reply}`, its pg
 * scopes' messages as OTP pg's.
 */
export const RUNTIME_BEAM_ADAPTER: BeamValueAdapter = Object.freeze({
  toErlang(v: unknown): ErlPid | ErlRef | undefined {
    if (v instanceof Pid) return new ErlPid(atom(v.node), v.id, v.serial, v.creation);
    if (v instanceof Ref) return new ErlRef(atom(v.node), v.creation, v.ids);
    return undefined;
  },
  fromPid: (p: ErlPid): Pid => new Pid(p.node.name, p.id, p.serial, p.creation),
  fromRef: (r: ErlRef): Ref => new Ref(r.node.name, r.creation, r.ids),
  unwrapFrame: (m: unknown): readonly unknown[] | undefined =>
    m instanceof SendFrame ? [[OP.SEND, '', m.to], m.msg] : undefined,
  // gen_server's shapes: a CallMessage is {'$gen_call', {Pid, Ref}, Request}, a ReplyMessage is {Ref, Reply}.
  callOf: (m: unknown) =>
    isCallMessage(m) ? { pid: m.from.pid, ref: m.from.ref, request: m.request } : undefined,
  replyOf: (m: unknown) => (isReplyMessage(m) ? { ref: m.ref, reply: m.reply } : undefined),
  makeCall: (pid: unknown, ref: unknown, request: unknown): CallMessage => ({
    type: '$gen_call',
    from: { pid: pid as Pid, ref: ref as Ref },
    request,
  }),
  makeReply: (ref: unknown, reply: unknown): ReplyMessage => ({ type: '$gen_reply', ref: ref as Ref, reply }),
  // pg scopes speak OTP pg's protocol, so erl's pg scopes of the same name share their groups.
  pgOf,
});

/**
 * A started Erlang-wire distribution for a runtime node (`createNode({ distribution, creation: dist.creation })`: the
 * node must make its pids with the endpoint's creation, as erl drops signals to another incarnation's pids).
 */
export function createRuntimeBeamDistribution(
  options: Omit<BeamDistributionOptions, 'adapter'>,
): Promise<BeamDistribution> {
  return createBeamDistribution({ ...options, adapter: RUNTIME_BEAM_ADAPTER });
}

/**
 * What `rpc:call(Node, M, F, Args)` from a BEAM node runs on `node`: the handler exposed (`node.expose`) as `F` when
 * `M` is `kindred`, else as `M:F`; a name nothing is exposed under answers `undef`, as BEAM does.
 */
export function beamRpcHandler(node: KNode): BeamRpcHandler {
  return async (module, fn, args) => {
    const name = module === 'kindred' ? fn : `${module}:${fn}`;
    try {
      return { value: await node.rpc(node.name, name, args) };
    } catch (err) {
      if (isKindredError(err) && err.code === RUNTIME_ERRORS.RPC_UNKNOWN_HANDLER) return { undef: true };
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
}
