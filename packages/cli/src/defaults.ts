import { TRANSPORT_DEFAULTS } from '@kindred/transport';

/** Every default of the kindred CLI, by command, in one frozen object. */
export const CLI_DEFAULTS = Object.freeze({
  /** `kindred doctor`: the seed's service and base name, and the transport's listen port. */
  doctor: Object.freeze({
    /** The SRV query when neither --service nor KINDRED_DISCOVERY (dns-srv:...) gives one. */
    service: '_discovery._tcp.simple-web-service-headless',
    /** The node name base when neither --name nor KINDRED_NAME gives one. */
    name: 'app',
    /** The listen port when neither --port nor KINDRED_PORT gives one: the transport's, as `kindred start` listens. */
    port: TRANSPORT_DEFAULTS.port,
    /** How long one peer ping may take before it counts as KINDRED_ERR_DOCTOR_PING_TIMEOUT. */
    pingTimeoutMs: 5_000,
  }),
  /** `kindred observe`. */
  observe: Object.freeze({
    /** Seconds between refreshes on a terminal. */
    intervalSeconds: 2,
    /** Processes asked for (the node lists the first ones; the CLI shows the fullest mailboxes first). */
    maxProcesses: 200,
    /** How long to wait for the node's answer. */
    timeoutMs: 5_000,
  }),
});
