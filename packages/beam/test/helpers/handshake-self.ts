// A HandshakeSelf for the handshake tests.
import { type Logger, SILENT_LOGGER } from '@kindred/interface';
import { DFLAG, type HandshakeSelf, KINDRED_DIST_FLAGS, MANDATORY_FLAGS_25 } from '../../src/index.js';

export function self(name: string, extra: Partial<HandshakeSelf> & { logger?: Logger } = {}): HandshakeSelf {
  return {
    name,
    cookie: 'cookie',
    creation: 77,
    flags: KINDRED_DIST_FLAGS | DFLAG.PUBLISHED,
    requiredFlags: MANDATORY_FLAGS_25,
    setupTimeoutMs: 2_000,
    logger: SILENT_LOGGER,
    ...extra,
  };
}
