/**
 * @packageDocumentation
 * Helpers every kindred test suite shares (private workspace package): {@link until} / {@link eventually} for
 * polling, {@link freePort}, and {@link captureIO} for running CLI commands in-process.
 */
export { type CapturedIO, captureIO } from './io.js';
export { eventually, type PollOptions, until } from './poll.js';
export { freePort } from './ports.js';
