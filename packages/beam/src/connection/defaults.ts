/** Every default of an Erlang-distribution connection, in one frozen object. Units are in the names. */
export const BEAM_CONNECTION_DEFAULTS = Object.freeze({
  /** Erlang's net_ticktime: a peer that sends nothing, not even a tick, for about this long is dropped. */
  ticktimeMs: 60_000,
  /** Erlang's net_tickintensity (4-1000): checks per ticktime; a tick goes out at each check when write-idle. */
  tickIntensity: 4,
  /** Largest frame accepted or sent (kindred's own wire: maxMessageBytes). A larger declared length closes. */
  maxFrameBytes: 8 * 1024 * 1024,
  /** Bytes waiting to be written to the peer; a send past it is refused with KINDRED_ERR_BEAM_SEND_QUEUE_FULL. */
  maxQueueBytes: 32 * 1024 * 1024,
  /**
   * Frames sent in one turn of the event loop go to the socket together, in one write, as erts' dist buffer
   * batches a busy connection's output; a batch this large is written at once without waiting for the turn's end.
   */
  writeBatchBytes: 64 * 1024,
});

/** The atom cache's size: 8 segments of 256 (erl_ext_dist "Distribution Header"). */
export const ATOM_CACHE_SIZE = 2_048;
