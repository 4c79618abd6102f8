/** A node discovery found. */
export interface Peer {
  /** The node's name, `base@host` (for SRV: `base@<target>`; for A records: `base@<ip>`; static: as given). */
  readonly node: string;
  /** The host part of `node`: what the peer is dialled by, and what it must call itself. */
  readonly host: string;
  /** The port the peer listens on. */
  readonly port: number;
  /** Addresses `host` resolved to when discovery learnt them (SRV Additional section, A records); may be empty. */
  readonly addresses: readonly string[];
}

/** True when two peers carry the same facts (addresses compared as sets). */
export function samePeer(a: Peer, b: Peer): boolean {
  if (a.node !== b.node || a.host !== b.host || a.port !== b.port) return false;
  const x = [...a.addresses].sort();
  const y = [...b.addresses].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
