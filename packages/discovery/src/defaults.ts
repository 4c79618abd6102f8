/** Every default of @kindred/discovery in one place. */
export const DISCOVERY_DEFAULTS = Object.freeze({
  /** How often a strategy is asked for peers (libcluster, dns_cluster and Akka's upper bound all poll about this often). */
  pollIntervalMs: 5_000,
  /**
   * One poll's deadline: a strategy still busy after this long is aborted and the poll fails with
   * KINDRED_ERR_DISCOVERY_DEADLINE (peers kept), so a slow DNS server cannot stretch a poll over minutes. Below the
   * shortest jittered interval (5 s - 10 %); when `pollIntervalMs` is set lower, the deadline defaults to it.
   */
  pollDeadlineMs: 4_000,
  /**
   * While nothing changes, polls slow down: once the discovered set has been the same for `stableMarginMs`, the last
   * poll succeeded, there is at least one peer (a node alone keeps looking), none is in its grace period and the
   * owner says it is settled (`startNode`: every discovered
   * peer connected), each interval doubles up to this; any change, failure or unsettled moment returns to
   * `pollIntervalMs`. A new replica finds the others on its first poll and dials them itself, so formation does not
   * wait for the others' polls; what they save is most of an idle mesh's discovery CPU (bench/README.md, "Mesh
   * scale"). Set it to `pollIntervalMs` for a fixed cadence.
   */
  maxPollIntervalMs: 30_000,
  /** Each interval is randomised by up to +/- this fraction, so replicas started together do not poll in lockstep. */
  jitter: 0.1,
  /** A peer missing from successful lookups is removed only once it has been missing this long. */
  graceMs: 15_000,
  /** Bootstrap guard: the discovered set must be unchanged this long before a new cluster may form (Akka: 5 s). */
  stableMarginMs: 5_000,
  /** Bootstrap guard: at least this many contact points (Akka's required-contact-point-nr; set it to replicas). */
  requiredContactPoints: 1,
  /** The node name part (`<basename>@host`) used for DNS-discovered peers. */
  basename: 'kindred',
  /** The port peers listen on when the strategy does not say (A records carry none). */
  port: 4370,
});
