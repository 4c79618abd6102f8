import { TRANSPORT_DEFAULTS } from '@kindred/transport';

/** Every default of the simple web service, in one place; the environment overrides them (see config.ts). */
export const APP_DEFAULTS = Object.freeze({
  /** KINDRED_NAME: the node name's base, the part before `@`. */
  name: 'app',
  /** KINDRED_PORT: the port peers dial, the headless Service's `discovery` port. */
  kindredPort: 8585,
  /** KINDRED_DISCOVERY: the seed's SRV query, resolved through the pod's search list. */
  discovery: 'dns-srv:_discovery._tcp.simple-web-service-headless',
  /** PORT: the HTTP port (/, /nodes, /healthz, /readyz, /metrics). */
  httpPort: 8080,
  /** HTTP_HOST: the address the HTTP server listens on. */
  httpHost: '0.0.0.0',
  /** LOG_LEVEL: pino level. */
  logLevel: 'info',
  /** KINDRED_POLL_INTERVAL_MS: how often discovery asks DNS again. */
  pollIntervalMs: 5_000,
  /** KINDRED_TICKTIME_MS: Erlang's net_ticktime for the transport; its own default (60 s). */
  ticktimeMs: TRANSPORT_DEFAULTS.ticktimeMs,
  /**
   * KINDRED_DRAIN_MS: after SIGTERM, how long the app keeps serving with /readyz at 503 (and `connection: close` on
   * every response) before it leaves the cluster, so load balancers stop sending first. 0: leave at once. The kit
   * (deploy/kustomize) sets 5 s; set it to at least the time your Service/ingress takes to drop a terminating pod.
   */
  drainMs: 0,
  /** How long SIGTERM waits, after the drain, for the node to leave and in-flight requests to end before exiting anyway. */
  shutdownTimeoutMs: 10_000,
  /**
   * How often /metrics' event-loop lag histogram samples the loop (prom-client's `eventLoopMonitoringPrecision`). Its
   * default, 10 ms, wakes an idle pod 100 times a second: the largest part of an idle pod's CPU (bench/README.md,
   * "Mesh scale"). A stall still shows in full: the sample in flight is delayed by all of it.
   */
  eventLoopMonitoringPrecisionMs: 1_000,
  /** How many node up/down events GET /nodes keeps for the page. */
  recentEvents: 20,
  /** The cluster singleton every pod declares (one instance runs in the cluster; GET /singleton says where). */
  singletonName: 'simple-web-service-leader',
  /**
   * The singleton is declared once this node is connected to every peer the first discovery round found (or after
   * this long): a node that declared it before meeting the cluster would start a second instance until they meet.
   */
  singletonJoinWaitMs: 10_000,
});
