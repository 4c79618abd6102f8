/**
 * OTP's `pg` protocol (OTP 25's pg.erl) for the process-group scopes of the layer above: a scope is the process
 * registered under the scope's name, and scopes talk with `{discover, Peer}` (to `{Scope, Node}` on nodeup, and to the
 * peer's scope pid in answer), `'$gen_cast'` `{sync, Peer, [{Group, Pids}]}`, `{join, Peer, Group, PidOrPids}` and
 * `{leave, Peer, PidOrPids, Groups}`, where `Peer` is the sending scope's pid. Groups are atoms here (a group name
 * longer than 255 characters is a binary); a binary group from a peer is read as its UTF-8 text.
 */
import { Atom, atom, isAtom, Pid, type Term, Tuple } from './etf/terms.js';

/** A scope message of the layer above (kindred's pg: packages/runtime/src/pg.ts), pids as the layer's values. */
export type PgWireMessage =
  | { readonly type: 'discover' }
  | { readonly type: 'sync'; readonly groups: readonly (readonly [string, readonly unknown[]])[] }
  | { readonly type: 'join'; readonly group: string; readonly pids: readonly unknown[] }
  | { readonly type: 'leave'; readonly group: string; readonly pids: readonly unknown[] };

/** A group name as a term: an atom, or a binary past 255 characters. */
export function groupTerm(group: string): Term {
  return group.length <= 255 ? new Atom(group) : Buffer.from(group, 'utf8');
}

/** A group term from a peer as its name: an atom's text or a binary's UTF-8; undefined for any other term. */
export function groupName(t: Term | undefined): string | undefined {
  if (t instanceof Atom) return t.name;
  if (Buffer.isBuffer(t)) return t.toString('utf8');
  return undefined;
}

/**
 * `msg` of the scope whose pid is `self`, as OTP pg's payload (`pid` converts the layer's pids). `discover` is sent
 * by name to `{Scope, Node}`, the others to the peer scope's pid.
 */
export function pgPayload(self: Pid, msg: PgWireMessage, pid: (v: unknown) => Term): Term {
  switch (msg.type) {
    case 'discover':
      return new Tuple([atom('discover'), self]);
    case 'sync':
      return new Tuple([
        atom('$gen_cast'),
        new Tuple([
          atom('sync'),
          self,
          msg.groups.map(([g, pids]) => new Tuple([groupTerm(g), pids.map(pid)])),
        ]),
      ]);
    case 'join':
      return new Tuple([atom('join'), self, groupTerm(msg.group), msg.pids.map(pid)]);
    case 'leave':
      return new Tuple([atom('leave'), self, msg.pids.map(pid), [groupTerm(msg.group)]]);
  }
}

/** What {@link readPg} makes of OTP pg's payload: the sending scope's pid and the layer's messages. */
export interface PgRead {
  readonly peer: Pid;
  readonly messages: PgWireMessage[];
  /** Entries that were not a pid or a group name (dropped). */
  readonly dropped: number;
}

/** OTP pg's payload as the layer's scope messages (pids still Erlang's); undefined when it is not one. */
export function readPg(t: Term | undefined): PgRead | undefined {
  if (!(t instanceof Tuple)) return undefined;
  let e = t.elements;
  if (e.length === 2 && isAtom(e[0], '$gen_cast') && e[1] instanceof Tuple) e = e[1].elements;
  const [tag, peer] = e;
  if (!(peer instanceof Pid)) return undefined;
  let dropped = 0;
  const pidsOf = (x: Term | undefined): Pid[] => {
    const list = Array.isArray(x) ? x : [x];
    const out: Pid[] = [];
    for (const p of list) {
      if (p instanceof Pid) out.push(p);
      else dropped++;
    }
    return out;
  };
  const read = (messages: PgWireMessage[]): PgRead => ({ peer, messages, dropped });
  if (isAtom(tag, 'discover') && e.length === 2) return read([{ type: 'discover' }]);
  if (isAtom(tag, 'sync') && e.length === 3 && Array.isArray(e[2])) {
    const groups: [string, Pid[]][] = [];
    for (const entry of e[2]) {
      const g =
        entry instanceof Tuple && entry.elements.length === 2 ? groupName(entry.elements[0]) : undefined;
      if (g === undefined || !(entry instanceof Tuple)) dropped++;
      else groups.push([g, pidsOf(entry.elements[1])]);
    }
    return read([{ type: 'sync', groups }]);
  }
  if (isAtom(tag, 'join') && e.length === 4) {
    const group = groupName(e[2]);
    if (group === undefined) return { peer, messages: [], dropped: 1 };
    return read([{ type: 'join', group, pids: pidsOf(e[3]) }]);
  }
  if (isAtom(tag, 'leave') && e.length === 4 && Array.isArray(e[3])) {
    const pids = pidsOf(e[2]);
    const messages: PgWireMessage[] = [];
    for (const g of e[3]) {
      const group = groupName(g);
      if (group === undefined) dropped++;
      else messages.push({ type: 'leave', group, pids });
    }
    return read(messages);
  }
  return undefined;
}
