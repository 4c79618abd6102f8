/**
 * The types that carry a server's request/reply contract to its callers: a {@link ServerRef} is a destination that
 * also names, in types only, the calls and casts its server accepts, so `ctx.call(ref, request)` is typed with the
 * reply of that request.
 */
import type { Dest } from './messages.js';

/** One call a server answers: a request type and the type of its reply. */
export interface CallSpec {
  /** What the caller sends. */
  readonly request: unknown;
  /** What the server replies to it. */
  readonly reply: unknown;
}

/**
 * The reply type of request `Q` in the union of call specs `C`: the replies of every spec whose request `Q` is
 * assignable to (one, when requests are told apart by a literal tag such as `{ op: 'get' }`).
 */
export type ReplyTo<C extends CallSpec, Q> = C extends {
  readonly request: infer Rq;
  readonly reply: infer Rp;
}
  ? Q extends Rq
    ? Rp
    : never
  : never;

declare const serverCalls: unique symbol;
declare const serverCasts: unique symbol;

/**
 * A destination (pid, name or `{ name, node }`) of a server whose calls are `C` and casts are `K`. The two brands
 * exist in types only: at run time a `ServerRef` is the plain destination, so it travels between nodes and can be
 * used anywhere a {@link Dest} is. Make one from a destination with `serverRef<C, K>(dest)`.
 */
export type ServerRef<C extends CallSpec = CallSpec, K = unknown> = Dest & {
  readonly [serverCalls]: C;
  readonly [serverCasts]: K;
};

/**
 * A destination that is not a {@link ServerRef}: the untyped `call` takes these, so a request a server does not
 * declare is a type error rather than an untyped call.
 */
export type PlainDest = Dest & { readonly [serverCalls]?: never };

/** The destination `dest` typed as a server accepting calls `C` and casts `K` (no check is made at run time). */
export function serverRef<C extends CallSpec, K = unknown>(dest: Dest): ServerRef<C, K> {
  return dest as ServerRef<C, K>;
}
