/**
 * Inbound control messages: one handler per operation (control.ts's `OP`), looked up in a table. Each gets the peer
 * the frame came from, the control tuple and the payload; a malformed frame throws (counted and dropped by the
 * caller, peers.ts), and a signal naming a sender that is not a process of that peer throws {@link SPOOFED}.
 * @internal
 */
import { OP } from './control.js';
import type { Core } from './core.js';
import { formatTerm } from './errors.js';
import type { DownMessage } from './messages.js';
import { linksOf, monitoredByOf } from './process.js';
import { type Pid, pidKey, refKey, toPid, toRef } from './terms.js';

/** @internal Thrown for a signal whose sender is not a process of the peer that sent it. */
export const SPOOFED = Object.freeze({ spoofed: true });

/** @internal A handler of one operation: `(core, peer, control, payload)`. */
export type OpHandler = (core: Core, node: string, c: unknown[], payload: unknown) => void;

/**
 * The pid `v` names, which must be a process of `node` (the peer the signal came from); throws otherwise. Every pid
 * a signal names as its sender is checked so: a peer must not break links, kill, or fake DOWNs in the name of a
 * third node's processes.
 */
function peerPid(node: string, v: unknown, what: string): Pid {
  const pid = toPid(v);
  if (!pid) throw new Error(`${what}: bad pid`);
  if (pid.node !== node) throw SPOOFED;
  return pid;
}

function targetOf(c: unknown, what: string): Pid {
  const to = toPid(c);
  if (!to) throw new Error(`${what}: bad pid`);
  return to;
}

/** @internal The operations this node accepts, by `OP` number. */
export const DISPATCH: ReadonlyMap<number, OpHandler> = new Map<number, OpHandler>([
  [
    OP.SEND,
    (core, _node, c, payload) => {
      const p = core.local(targetOf(c[2], 'SEND'));
      if (p) core.deliver(p, payload);
    },
  ],
  [
    OP.SEND_SENDER,
    (core, node, c, payload) => {
      peerPid(node, c[1], 'SEND_SENDER');
      const p = core.local(targetOf(c[2], 'SEND_SENDER'));
      if (p) core.deliver(p, payload);
    },
  ],
  [
    OP.REG_SEND,
    (core, node, c, payload) => {
      const name = c[3];
      if (typeof name !== 'string') throw new Error('REG_SEND: bad name');
      const from = toPid(c[1]);
      if (from && from.node !== node) throw SPOOFED;
      const sys = core.system.get(name);
      const p = sys ? undefined : core.names.get(name);
      if (sys) sys(node, from, payload);
      else if (p) core.deliver(p, payload);
    },
  ],
  [
    OP.LINK,
    (core, node, c) => {
      const from = peerPid(node, c[1], 'LINK');
      const to = targetOf(c[2], 'LINK');
      const p = core.local(to);
      if (!p) {
        core.peers.sendQuiet(node, [[OP.EXIT, to, from, 'noproc']]);
        return;
      }
      const k = pidKey(from);
      linksOf(p).set(k, from);
      core.peers.links(node).set(`${p.key}|${k}`, { local: p, remote: from });
    },
  ],
  [
    OP.UNLINK_ID,
    (core, node, c) => {
      const from = peerPid(node, c[2], 'UNLINK_ID');
      const to = targetOf(c[3], 'UNLINK_ID');
      const p = core.local(to);
      if (p) {
        const k = pidKey(from);
        p.links?.delete(k);
        core.peers.record(node)?.links.delete(`${p.key}|${k}`);
      }
      core.peers.sendQuiet(node, [[OP.UNLINK_ID_ACK, c[1], to, from]]);
    },
  ],
  [OP.UNLINK_ID_ACK, () => {}],
  [
    OP.SPAWN_REQUEST,
    (core, node, c, payload) => {
      const ref = toRef(c[1]);
      const from = peerPid(node, c[2], 'SPAWN_REQUEST');
      const mfa = c[4];
      if (!ref || !Array.isArray(mfa) || typeof mfa[1] !== 'string') throw new Error('SPAWN_REQUEST');
      const fn = core.rpc.spawnable(mfa[1]);
      const args = Array.isArray(payload) ? payload : [];
      const result = fn && !core.stopped ? core.spawn((ctx) => fn(ctx, ...args)).self : 'undef';
      core.peers.sendQuiet(node, [[OP.SPAWN_REPLY, ref, from, 0, result]]);
    },
  ],
  [
    OP.SPAWN_REPLY,
    (core, node, c) => {
      const ref = toRef(c[1]);
      if (!ref) throw new Error('SPAWN_REPLY: bad ref');
      const k = refKey(ref);
      const asked = core.rpc.requestNode(k);
      if (asked !== undefined && asked !== node) throw SPOOFED;
      core.rpc.spawnReply(k, c[4]);
    },
  ],
  [
    OP.EXIT,
    (core, node, c) => {
      const from = peerPid(node, c[1], 'EXIT');
      const p = core.local(targetOf(c[2], 'EXIT'));
      if (p) {
        core.peers.record(node)?.links.delete(`${p.key}|${pidKey(from)}`);
        core.signals.signal(p, from, c[3], true);
      }
    },
  ],
  [
    OP.EXIT2,
    (core, node, c) => {
      const from = peerPid(node, c[1], 'EXIT2');
      const p = core.local(targetOf(c[2], 'EXIT2'));
      if (p) core.signals.signal(p, from, c[3], false);
    },
  ],
  [
    OP.MONITOR_P,
    (core, node, c) => {
      const from = peerPid(node, c[1], 'MONITOR_P');
      const ref = toRef(c[3]);
      if (!ref) throw new Error('MONITOR_P: bad fields');
      let target: ReturnType<Core['local']>;
      if (typeof c[2] === 'string') target = core.names.get(c[2]);
      else {
        const t = toPid(c[2]);
        target = t ? core.local(t) : undefined;
      }
      if (!target) {
        core.peers.sendQuiet(node, [[OP.MONITOR_P_EXIT, c[2], from, ref, 'noproc']]);
        return;
      }
      const k = refKey(ref);
      monitoredByOf(target).set(k, { ref, watcher: from });
      core.peers.inMonitors(node).set(k, target);
    },
  ],
  [
    OP.DEMONITOR_P,
    (core, node, c) => {
      peerPid(node, c[1], 'DEMONITOR_P');
      const ref = toRef(c[3]);
      if (!ref) throw new Error('DEMONITOR_P: bad ref');
      const k = refKey(ref);
      const st = core.peers.record(node);
      const target = st?.inMonitors.get(k);
      st?.inMonitors.delete(k);
      target?.monitoredBy?.delete(k);
    },
  ],
  [
    OP.MONITOR_P_EXIT,
    (core, node, c) => {
      // FromProc is the monitored pid, or its registered name for a monitor by name.
      if (typeof c[1] !== 'string') peerPid(node, c[1], 'MONITOR_P_EXIT');
      const to = toPid(c[2]);
      const ref = toRef(c[3]);
      if (!to || !ref) throw new Error('MONITOR_P_EXIT: bad fields');
      const k = refKey(ref);
      const p = core.local(to);
      const m = p?.monitors?.get(k);
      // Only a monitor this node holds on a process of that peer can be ended by it.
      if (m !== undefined && m.node !== node) throw SPOOFED;
      core.peers.record(node)?.outMonitors.delete(k);
      if (p && m) {
        p.monitors!.delete(k);
        core.deliver(p, { type: 'DOWN', ref: m.ref, item: m.item, reason: c[4] } satisfies DownMessage);
      }
    },
  ],
]);

/** @internal One frame from `node`: Erlang's control message and optional payload. Throws when malformed. */
export function dispatchFrame(core: Core, node: string, raw: unknown): void {
  if (!Array.isArray(raw) || !Array.isArray(raw[0])) throw new Error('frame is not [control, payload?]');
  const c = raw[0] as unknown[];
  const handler = typeof c[0] === 'number' ? DISPATCH.get(c[0]) : undefined;
  if (handler === undefined) throw new Error(`unknown operation ${formatTerm(c[0], 40)}`);
  handler(core, node, c, raw[1]);
}
