import { describe, expect, it } from 'vitest';
import { type AcceptRules, acceptPolicy } from '../src/accept-policy.js';
import { FLAGS } from '../src/protocol.js';

const rules: AcceptRules = { self: 'b@127.0.0.1', mode: 'longnames', flags: FLAGS.INTEGRITY };
const peer = (name: string, flags: number = FLAGS.INTEGRITY) => ({ name, flags });

describe('acceptPolicy (no sockets, no DNS)', () => {
  it('accepts a legal name that is not its own, with the same integrity flag', () => {
    expect(acceptPolicy(peer('a@127.0.0.1'), rules)).toEqual({ accept: true });
    // The hidden bit is not the policy's business.
    expect(acceptPolicy(peer('a@127.0.0.1', FLAGS.INTEGRITY | FLAGS.HIDDEN), rules)).toEqual({
      accept: true,
    });
  });

  it('refuses a differing frameIntegrity first, before looking at the name', () => {
    expect(acceptPolicy(peer('a@127.0.0.1', 0), rules)).toEqual({
      accept: false,
      reason: 'integrity_mismatch',
    });
    expect(acceptPolicy(peer('not a name', 0), rules)).toMatchObject({ reason: 'integrity_mismatch' });
    expect(acceptPolicy(peer('a@127.0.0.1', FLAGS.INTEGRITY), { ...rules, flags: 0 })).toMatchObject({
      reason: 'integrity_mismatch',
    });
  });

  it("refuses names illegal in this node's mode, saying why", () => {
    const short = acceptPolicy(peer('a@box'), rules);
    expect(short).toMatchObject({ accept: false, reason: 'illegal_name' });
    expect(short.accept ? '' : short.detail).toMatch(/box/);
    expect(acceptPolicy(peer('a@web-0.svc.local'), { ...rules, mode: 'shortnames' })).toMatchObject({
      reason: 'illegal_name',
    });
    expect(acceptPolicy(peer('no-at-sign'), rules)).toMatchObject({ reason: 'illegal_name' });
  });

  it('refuses its own name', () => {
    expect(acceptPolicy(peer('b@127.0.0.1'), rules)).toEqual({ accept: false, reason: 'own_name' });
  });

  it('applies the allow list (net_kernel:allow/1) after the name rules', () => {
    const allow = { ...rules, allow: ['c@127.0.0.1'] };
    expect(acceptPolicy(peer('c@127.0.0.1'), allow)).toEqual({ accept: true });
    expect(acceptPolicy(peer('a@127.0.0.1'), allow)).toEqual({ accept: false, reason: 'disallowed' });
    expect(acceptPolicy(peer('a@box'), allow)).toMatchObject({ reason: 'illegal_name' });
    expect(acceptPolicy(peer('a@127.0.0.1'), { ...rules, allow: [] })).toMatchObject({
      reason: 'disallowed',
    });
  });
});
