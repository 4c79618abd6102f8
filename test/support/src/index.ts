/**
 * @packageDocumentation
 * Helpers every kindred test suite shares (private workspace package): {@link until} / {@link eventually} for
 * polling, {@link freePort}, {@link captureIO} for running CLI commands in-process, byte-level DNS builders with a
 * raw UDP DNS server ({@link startRawDnsServer}) for answers no real server would send, {@link makeCa} /
 * {@link makeCert} for TLS certificates made with the openssl CLI, and {@link readmeExample} / {@link runExample} to
 * run a package README's example as written.
 */

export { type CertPaths, makeCa, makeCert } from './certs.js';
export {
  parseQuery,
  type RawDnsServer,
  rawRecord,
  rawResponse,
  srvData,
  startRawDnsServer,
  TYPE,
  wireName,
} from './dns-wire.js';
export { type CapturedIO, captureIO } from './io.js';
export { eventually, type PollOptions, settle, until } from './poll.js';
export { freePort } from './ports.js';
export { type ExampleRun, type ReadmeExample, readmeExample, runExample } from './readme.js';
