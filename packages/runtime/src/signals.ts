/**
 * Links, exit signals, the terminate cascade and monitors: the part docs/semantics.md describes. A signal to a
 * process of another node goes through the peer table (peers.ts), which also records it so that nodedown can undo it.
 * @internal
 */
import { KindredError } from '@kindred/dns';
import { OP } from './control.js';
import type { Core, SignalsPart } from './core.js';
import { RUNTIME_ERRORS } from './errors.js';
import type { Dest, DownMessage, NodeEvent } from './messages.js';
import { exitedRejection, linksOf, monitoredByOf, monitorsOf, type Proc } from './process.js';
import { Pid, pidKey, type Ref, refKey, toPid, toRef } from './terms.js';

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

function isNamed(d: unknown): d is { name: string; node: string } {
  const o = d as { name?: unknown; node?: unknown };
  return typeof d === 'object' && d !== null && isName(o.name) && isName(o.node);
}

/** @internal See the module comment. */
export class Signals implements SignalsPart {
  readonly #core: Core;
  #dying: Array<[Proc, unknown]> = [];
  #draining = false;
  readonly #nodeWatchers = new Set<Proc>();
  readonly #nodeHandlers = new Set<(e: NodeEvent) => void>();

  constructor(core: Core) {
    this.#core = core;
  }

  // ---------------------------------------------------------------- links and exit signals

  exitSignal(from: Pid, to: Pid, reason: unknown): void {
    const core = this.#core;
    const target = toPid(to);
    if (!target) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'exit(pid, reason) needs a pid.');
    if (target.node !== core.name) {
      core.peers.sendControl(target.node, [[OP.EXIT2, from, target, reason]]);
      return;
    }
    const p = core.local(target);
    if (p) this.signal(p, from, reason, false);
  }

  link(p: Proc, to: Pid): void {
    const core = this.#core;
    const pid = toPid(to);
    if (!pid) throw new KindredError(RUNTIME_ERRORS.BAD_DEST, 'link needs a pid.');
    if (!p.alive) return;
    const k = pidKey(pid);
    if (p.links?.has(k)) return;
    if (pid.node === core.name) {
      const q = core.local(pid);
      if (!q) {
        // OTP 23+: link/1 to a dead process returns true and sends the caller an exit signal noproc.
        this.applyExit(p, pid, 'noproc', true);
        return;
      }
      if (q === p) return;
      linksOf(p).set(k, pid);
      linksOf(q).set(pidKey(p.self), p.self);
      return;
    }
    linksOf(p).set(k, pid);
    core.peers.links(pid.node).set(`${p.key}|${k}`, { local: p, remote: pid });
    core.peers.sendControl(pid.node, [[OP.LINK, p.self, pid]]);
  }

  unlink(p: Proc, to: Pid): void {
    const core = this.#core;
    const pid = toPid(to);
    if (!pid) return;
    const k = pidKey(pid);
    if (!p.links?.delete(k)) return;
    if (pid.node === core.name) {
      core.local(pid)?.links?.delete(pidKey(p.self));
      return;
    }
    core.peers.record(pid.node)?.links.delete(`${p.key}|${k}`);
    core.peers.sendControl(pid.node, [[OP.UNLINK_ID, core.nextId(), p.self, pid]]);
  }

  /** An exit signal arrives at p (Erlang's rules, erlang:exit/2 and links). */
  signal(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
    if (!p.alive) return;
    if (viaLink) {
      if (!p.links?.delete(pidKey(from))) return;
    }
    this.applyExit(p, from, reason, viaLink);
  }

  applyExit(p: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
    if (!p.alive) return;
    if (!viaLink && reason === 'kill') {
      this.terminate(p, 'killed');
    } else if (p.trapping) {
      this.#core.deliver(p, { type: 'EXIT', from, reason });
    } else if (reason !== 'normal') {
      this.terminate(p, reason);
    } else if (
      !viaLink &&
      from.node === this.#core.name &&
      from.id === p.self.id &&
      from.serial === p.self.serial
    ) {
      // exit(self(), normal) ends the caller, as in Erlang.
      this.terminate(p, 'normal');
    }
  }

  /**
   * Ends a process: everything it held is released and its links and monitors are signalled. Cascades run from a
   * queue, not recursively, so a chain of a million linked processes does not overflow the stack.
   */
  terminate(p: Proc, reason: unknown): void {
    if (!p.alive) return;
    p.alive = false;
    p.exitReason = reason;
    this.#dying.push([p, reason]);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let i = 0; i < this.#dying.length; i++) {
        const [q, r] = this.#dying[i]!;
        this.#cleanup(q, r);
      }
    } finally {
      this.#dying = [];
      this.#draining = false;
    }
  }

  #cleanup(p: Proc, reason: unknown): void {
    const core = this.#core;
    core.procs.delete(p.key);
    if (p.name !== undefined) {
      core.names.delete(p.name);
      p.name = undefined;
    }
    const res = p.wRes;
    if (res !== undefined) {
      p.wRes = undefined;
      p.wPat = undefined;
      if (p.wTimer !== undefined) clearTimeout(p.wTimer);
      p.wTimer = undefined;
      // One rejection per reason serves every process ended with it (exitedRejection): building an Error per
      // parked process was most of the time of killing many (or of stop()).
      res(exitedRejection(reason));
    }
    if (p.x?.timers !== undefined) core.timers.ownerExited(p);
    p.releaseAll();
    p.mq = undefined;
    p.calls = undefined;
    if (p.nodeWatch) this.#nodeWatchers.delete(p);
    if (p.scopes) {
      for (const s of p.scopes) core.pgControls.get(s)?.processExited(p.self);
      p.scopes = undefined;
    }
    if (p.monitors) {
      for (const [k, m] of p.monitors) {
        if (m.target) m.target.monitoredBy?.delete(k);
        else if (m.node !== undefined) {
          core.peers.record(m.node)?.outMonitors.delete(k);
          core.peers.sendQuiet(m.node, [
            [OP.DEMONITOR_P, p.self, m.item instanceof Pid ? m.item : m.item.name, m.ref],
          ]);
        }
      }
      p.monitors = undefined;
    }
    if (p.monitoredBy) {
      for (const [k, m] of p.monitoredBy) {
        if (m.watcher.node === core.name) {
          const w2 = core.local(m.watcher);
          const out = w2?.monitors?.get(k);
          if (w2 && out) {
            w2.monitors!.delete(k);
            core.deliver(w2, { type: 'DOWN', ref: m.ref, item: out.item, reason } satisfies DownMessage);
          }
        } else {
          core.peers.record(m.watcher.node)?.inMonitors.delete(k);
          core.peers.sendQuiet(m.watcher.node, [[OP.MONITOR_P_EXIT, p.self, m.watcher, m.ref, reason]]);
        }
      }
      p.monitoredBy = undefined;
    }
    if (p.links) {
      const links = p.links;
      p.links = undefined;
      for (const [k, pid] of links) {
        if (pid.node === core.name) {
          const q = core.local(pid);
          if (q) this.signal(q, p.self, reason, true);
        } else {
          core.peers.record(pid.node)?.links.delete(`${p.key}|${k}`);
          core.peers.sendQuiet(pid.node, [[OP.EXIT, p.self, pid, reason]]);
        }
      }
    }
    if (p === core.rpc.rex) core.rpc.rexDied(reason);
  }

  // ---------------------------------------------------------------- monitors

  monitor(p: Proc, dest: Dest): Ref {
    const core = this.#core;
    const ref = core.makeRef();
    if (!p.alive) return ref;
    const k = refKey(ref);
    let pid: Pid | undefined;
    let item: Pid | { name: string; node: string };
    if (typeof dest === 'string') {
      item = { name: dest, node: core.name };
      pid = core.names.get(dest)?.self;
      if (!pid) {
        core.deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
        return ref;
      }
    } else if (toPid(dest) !== undefined) {
      pid = toPid(dest)!;
      item = pid;
    } else if (isNamed(dest)) {
      item = { name: dest.name, node: dest.node };
      if (dest.node === core.name) {
        pid = core.names.get(dest.name)?.self;
        if (!pid) {
          core.deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
          return ref;
        }
      } else {
        monitorsOf(p).set(k, { ref, target: undefined, node: dest.node, item });
        core.peers.outMonitors(dest.node).set(k, p);
        core.peers.sendControl(dest.node, [[OP.MONITOR_P, p.self, dest.name, ref]]);
        return ref;
      }
    } else {
      throw new KindredError(
        RUNTIME_ERRORS.BAD_DEST,
        'monitor needs a pid, a registered name, or { name, node }.',
      );
    }
    if (pid.node === core.name) {
      const t = core.local(pid);
      if (!t) {
        core.deliver(p, { type: 'DOWN', ref, item, reason: 'noproc' } satisfies DownMessage);
        return ref;
      }
      monitorsOf(p).set(k, { ref, target: t, node: undefined, item });
      monitoredByOf(t).set(k, { ref, watcher: p.self });
      return ref;
    }
    monitorsOf(p).set(k, { ref, target: undefined, node: pid.node, item });
    core.peers.outMonitors(pid.node).set(k, p);
    core.peers.sendControl(pid.node, [[OP.MONITOR_P, p.self, pid, ref]]);
    return ref;
  }

  demonitor(p: Proc, ref: Ref): void {
    const r = toRef(ref);
    if (!r) return;
    const k = refKey(r);
    const m = p.monitors?.get(k);
    if (!m) return;
    p.monitors!.delete(k);
    if (m.target) {
      m.target.monitoredBy?.delete(k);
    } else if (m.node !== undefined) {
      this.#core.peers.record(m.node)?.outMonitors.delete(k);
      this.#core.peers.sendControl(m.node, [
        [OP.DEMONITOR_P, p.self, m.item instanceof Pid ? m.item : m.item.name, m.ref],
      ]);
    }
  }

  // ---------------------------------------------------------------- node events

  watchNodes(p: Proc, flag: boolean): void {
    p.nodeWatch = flag;
    if (flag) this.#nodeWatchers.add(p);
    else this.#nodeWatchers.delete(p);
  }

  /** Calls `handler` with node events; returns the function that unsubscribes. */
  onNodeEvent(handler: (event: NodeEvent) => void): () => void {
    this.#nodeHandlers.add(handler);
    return () => this.#nodeHandlers.delete(handler);
  }

  emitNode(e: NodeEvent): void {
    for (const p of this.#nodeWatchers) this.#core.deliver(p, e);
    for (const h of this.#nodeHandlers) {
      try {
        h(e);
      } catch (err) {
        this.#core.log.error({ err }, 'monitorNodes handler threw');
      }
    }
  }

  clear(): void {
    this.#nodeWatchers.clear();
    this.#nodeHandlers.clear();
  }
}
