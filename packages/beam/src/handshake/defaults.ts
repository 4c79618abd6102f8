/** Every default of the Erlang handshake, in one frozen object. Units are in the names. */
export const BEAM_HANDSHAKE_DEFAULTS = Object.freeze({
  /** Erlang's net_setuptime: each step of the handshake must arrive within this time (the timer restarts per step). */
  setupTimeoutMs: 7_000,
});
