// A JS node for the integration tests: a BeamEndpoint with the test codec, a `net_kernel` that answers
// `{is_auth, _}` with `yes` (what net_adm:ping needs), and registered names whose messages are collected.
import type { Logger } from '@kindred/interface';
import { type BeamConnection, BeamEndpoint, type BeamEndpointOptions } from '../../src/index.js';
import { Atom, atom, Improper, isAtom, miniCodec, Pid, Ref, type Term, Tuple, tuple } from './mini-codec.js';

/** A logger that keeps every line, for asserting on log lines. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; obj: unknown }[] } {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const make = (): Logger => {
    const at =
      (level: string) =>
      (obj: unknown, msg?: string): void => {
        lines.push({ level, msg: msg ?? '', obj });
      };
    return {
      child: () => make(),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      trace: at('trace'),
    };
  };
  return Object.assign(make(), { lines });
}

export interface Received {
  readonly from: string;
  readonly to: string | Pid;
  readonly msg: Term | undefined;
}

export class JsNode {
  readonly endpoint: BeamEndpoint<Term>;
  readonly received: Received[] = [];
  readonly controls: { from: string; control: Term; payload?: Term }[] = [];
  readonly nodedowns: { node: string; reason: string; code?: string }[] = [];
  #nextId = 1;

  constructor(options: Omit<BeamEndpointOptions<Term>, 'codec'>) {
    this.endpoint = new BeamEndpoint<Term>({ ...options, codec: miniCodec });
    this.endpoint.on('nodeup', (c: BeamConnection<Term>) => this.#attach(c));
    this.endpoint.on('nodedown', (node: string, reason: string, error?: { code: string }) => {
      this.nodedowns.push({ node, reason, ...(error === undefined ? {} : { code: error.code }) });
    });
  }

  get name(): string {
    return this.endpoint.name;
  }

  /** A fresh pid of this node. */
  pid(): Pid {
    return new Pid(this.name, this.#nextId++, 0, this.endpoint.creation);
  }

  /** A fresh ref of this node. */
  ref(): Ref {
    return new Ref(this.name, this.endpoint.creation, [this.#nextId++, 0, 0]);
  }

  async start(): Promise<this> {
    await this.endpoint.start();
    return this;
  }

  #attach(c: BeamConnection<Term>): void {
    c.on('message', ({ control, payload }: { control: Term; payload?: Term }) => {
      this.controls.push({ from: c.peerName, control, ...(payload === undefined ? {} : { payload }) });
      if (!(control instanceof Tuple)) return;
      const [op, , third, fourth] = control.items;
      if (op === 6 && isAtom(fourth)) this.#regSend(c, fourth.name, payload);
      else if ((op === 2 || op === 22) && third instanceof Pid) {
        this.received.push({ from: c.peerName, to: third, msg: payload });
      }
    });
  }

  #regSend(c: BeamConnection<Term>, name: string, msg: Term | undefined): void {
    this.received.push({ from: c.peerName, to: name, msg });
    if (name !== 'net_kernel' || !(msg instanceof Tuple)) return;
    // {'$gen_call', {From, Tag}, {is_auth, Node}} -> From ! {Tag, yes}
    const [call, from, req] = msg.items;
    if (!isAtom(call, '$gen_call') || !(from instanceof Tuple) || !(req instanceof Tuple)) return;
    const [fromPid, tag] = from.items;
    if (!(fromPid instanceof Pid) || !isAtom(req.items[0], 'is_auth') || tag === undefined) return;
    c.send(tuple(2, atom(''), fromPid), tuple(tag, atom('yes')));
  }

  /** SEND from a fresh JS pid to an erl pid. */
  send(node: string, to: Pid, msg: Term): void {
    const c = this.endpoint.connection(node);
    if (c === undefined) throw new Error(`not connected to ${node}`);
    c.send(tuple(2, atom(''), to), msg);
  }

  /** REG_SEND from `from` to a registered name on `node`. */
  regSend(node: string, from: Pid, name: string, msg: Term): void {
    const c = this.endpoint.connection(node);
    if (c === undefined) throw new Error(`not connected to ${node}`);
    c.send(tuple(6, from, atom(''), atom(name)), msg);
  }

  /** Messages that arrived for a registered name or a pid. */
  messagesTo(to: string): Received[] {
    return this.received.filter((r) => r.to === to);
  }

  async close(): Promise<void> {
    await this.endpoint.close();
  }
}

export { Atom, atom, Improper, Pid, Ref, Tuple, tuple };
