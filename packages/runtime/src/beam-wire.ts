/**
 * The runtime over Erlang's own wire (@kindred/beam): the adapter that maps the runtime's {@link Pid} and {@link Ref}
 * to Erlang's pids and refs (same fields: node, id, serial, creation; node, creation, words) and unwraps the
 * runtime's SendFrame, and the distribution built with it.
 */
import {
  atom,
  type BeamDistribution,
  type BeamDistributionOptions,
  type BeamRpcHandler,
  type BeamValueAdapter,
  createBeamDistribution,
  Pid as ErlPid,
  Ref as ErlRef,
} from '@kindred/beam';
import { isKindredError } from '@kindred/dns';
import { OP } from './control.js';
import { SendFrame } from './envelope.js';
import { RUNTIME_ERRORS } from './errors.js';
import type { KNode } from './node.js';
import { Pid, Ref } from './terms.js';

/** The runtime's values on Erlang's wire: its pids and refs field for field, its SendFrame as `[[SEND, '', to], msg]`. */
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
