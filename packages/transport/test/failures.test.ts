import { describe, expect, it } from 'vitest';
import { TRANSPORT_ERRORS } from '../src/errors.js';
import { failureError, failureOfClose, HANDSHAKE_FAILURES } from '../src/failures.js';
import { CLOSE } from '../src/protocol.js';

describe('the handshake failure table', () => {
  it('names each close code kindred sends during a handshake by its own reason', () => {
    for (const [reason, entry] of Object.entries(HANDSHAKE_FAILURES)) {
      expect(Object.values(TRANSPORT_ERRORS)).toContain(entry.code);
      expect(Object.values(CLOSE)).toContain(entry.close);
      // A row named after a close reason closes with that close.
      if (Object.values(CLOSE).some((c) => c.reason === reason)) expect(entry.close.reason).toBe(reason);
    }
  });

  it('turns a received close code into the reason and the error code', () => {
    expect(failureOfClose(CLOSE.BAD_COOKIE.code)).toEqual({
      reason: 'bad_cookie',
      code: TRANSPORT_ERRORS.BAD_COOKIE,
    });
    expect(failureOfClose(CLOSE.BAD_VERSION.code)).toEqual({
      reason: 'bad_version',
      code: TRANSPORT_ERRORS.PROTOCOL_VERSION,
    });
    expect(failureOfClose(CLOSE.NOK.code)).toEqual({ reason: 'nok', code: TRANSPORT_ERRORS.CONNECT_FAILED });
    expect(failureOfClose(1006)).toEqual({
      reason: 'connection_closed',
      code: TRANSPORT_ERRORS.CONNECT_FAILED,
    });
  });

  it('puts the reason on the error, unless a finer one is given', () => {
    expect(failureError('integrity_mismatch', 'm', { node: 'a@h' })).toMatchObject({
      code: TRANSPORT_ERRORS.INTEGRITY_MISMATCH,
      details: { reason: 'integrity_mismatch', node: 'a@h' },
    });
    expect(failureError('not_allowed', 'm', { reason: 'host_mismatch' })).toMatchObject({
      code: TRANSPORT_ERRORS.NOT_ALLOWED,
      details: { reason: 'host_mismatch' },
    });
  });
});
