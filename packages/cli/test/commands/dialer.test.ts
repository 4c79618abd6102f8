import { NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { describe, expect, it } from 'vitest';
import { dialerName, dialingMode } from '../../src/commands/dialer.js';

describe('dialingMode', () => {
  it("takes --name / --sname, else the target's own mode", () => {
    expect(dialingMode('n1@host.example', {})).toBe('longnames');
    expect(dialingMode('n1@host', {})).toBe('shortnames');
    expect(dialingMode('n1@host.example', { name: 'me' })).toBe('longnames');
    expect(dialingMode('n1@host', { sname: 'me' })).toBe('shortnames');
  });

  it('refuses what erl refuses to dial: n1@localhost under long names, a dotted host under short names, no @', () => {
    expect(() => dialingMode('n1@host', { name: 'me' })).toThrow(/fully qualified/);
    expect(() => dialingMode('n1@host.example', { sname: 'me' })).toThrow();
    expect(() => dialingMode('n1@localhost', { name: 'me' })).toThrow(
      expect.objectContaining({ code: NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME }),
    );
    expect(() => dialingMode('nohost', {})).toThrow(expect.objectContaining({ code: expect.any(String) }));
  });
});

describe('dialerName', () => {
  it('is --name as given, whatever KINDRED_NODE_NAME says', async () => {
    const own = await dialerName('longnames', { name: 'p@127.0.0.1' }, 'ping', {
      KINDRED_NODE_NAME: 'app@x.example',
    });
    expect(own.node).toBe('p@127.0.0.1');
  });

  it('is <prefix>-<6 hex> on this host otherwise, new each time', async () => {
    const env = { KINDRED_NODE_NAME: 'app@pod1' };
    const a = await dialerName('shortnames', {}, 'observe', env, { hostname: 'pod1' });
    const b = await dialerName('shortnames', {}, 'observe', env, { hostname: 'pod1' });
    expect(a.node).toMatch(/^observe-[0-9a-f]{6}@pod1$/);
    expect(b.node).not.toBe(a.node);
  });
});
