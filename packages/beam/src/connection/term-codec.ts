/**
 * The contract between the connection and the External Term Format codec: the connection frames and unframes,
 * the codec turns bytes into terms and back. Terms are opaque to the connection (`T` is the codec's term type).
 */
export interface TermCodec<T = unknown> {
  /**
   * Decodes one term starting at `offset`, where `buf[offset]` is the term's tag: the connection has already
   * skipped the version byte 131 (the `'p'` layout) or there is none (after a `131 68` distribution header).
   * `atomCache` holds, for this one message, the text of each atom cache reference of its header: an
   * `ATOM_CACHE_REF` (tag 82, index `i`) stands for the atom `atomCache[i]`; it is empty when the message has no
   * header refs. Returns the term and the offset just past it. Throws on malformed bytes (the connection closes
   * with `KINDRED_ERR_BEAM_FRAME`).
   */
  decode(buf: Buffer, offset: number, atomCache: readonly string[]): { term: T; end: number };
  /** Encodes one term without the version byte 131 (the connection adds it where the layout needs it). */
  encode(term: T): Buffer;
  /**
   * Optional, faster: the whole frame in one buffer, `headroom` bytes left for the connection to fill (the length
   * and the layout's first bytes), then `control` and `payload` (when given), each after a version byte 131 when
   * `versioned` (the `'p'` layout) or bare (after a `131 68` header). With `atomRef` (DIST_HDR_ATOM_CACHE), an atom
   * for which it gives an index `i >= 0` is written as ATOM_CACHE_REF `i` (the connection builds the header). The
   * result may be a view of the codec's own memory, valid until its next call: the connection copies it at once.
   */
  encodeFrame?(
    control: T,
    payload: T | undefined,
    headroom: number,
    versioned: boolean,
    atomRef?: (name: string) => number,
  ): Buffer;
}
