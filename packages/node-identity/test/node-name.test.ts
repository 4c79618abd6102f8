import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDialable,
  formatNodeName,
  isIpLiteral,
  type NodeName,
  namingModeOf,
  parseNodeName,
} from '../src/node-name.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

function messageOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

const NAME_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-';
const nameArb = fc
  .array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 40 })
  .map((chars) => chars.join(''));
// Any character 0x21-0xFF except '@'.
const hostCharArb = fc
  .integer({ min: 0x21, max: 0xff })
  .filter((c) => c !== 0x40)
  .map((c) => String.fromCharCode(c));
const hostArb = fc.array(hostCharArb, { minLength: 1, maxLength: 200 }).map((chars) => chars.join(''));
const nodeArb: fc.Arbitrary<NodeName> = fc
  .record({ name: nameArb, host: hostArb })
  .filter((n) => n.name.length + 1 + n.host.length <= 255);

describe('parseNodeName / formatNodeName', () => {
  it('splits at the @', () => {
    expect(parseNodeName('app@web-0.web.default.svc.cluster.local')).toEqual({
      name: 'app',
      host: 'web-0.web.default.svc.cluster.local',
    });
    expect(parseNodeName('n_1-x@::1')).toEqual({ name: 'n_1-x', host: '::1' });
    expect(formatNodeName({ name: 'app', host: '10.0.0.1' })).toBe('app@10.0.0.1');
  });

  it("refuses a name without @ with Erlang's wording", () => {
    expect(codeOf(() => parseNodeName('app'))).toBe('KINDRED_ERR_NODE_NAME_NO_AT');
    expect(messageOf(() => parseNodeName('app'))).toContain("** Nodename app illegal, no '@' character **");
  });

  it('refuses a bad name part with "Invalid node name!"', () => {
    for (const bad of ['@host', 'a.b@host', 'a b@host', 'é@host', 'a+b@host', 'a:b@host']) {
      expect(codeOf(() => parseNodeName(bad))).toBe('KINDRED_ERR_NODE_NAME_INVALID_NAME');
      expect(messageOf(() => parseNodeName(bad))).toMatch(/^Invalid node name!/);
    }
  });

  it('refuses an empty host, a second @, spaces, control characters and characters above 0xFF', () => {
    for (const bad of ['app@', 'app@a@b', 'app@a b', 'app@a\tb', 'app@a\u0000', 'app@\u0100x', 'app@日本']) {
      expect(codeOf(() => parseNodeName(bad))).toBe('KINDRED_ERR_NODE_NAME_INVALID_HOST');
    }
  });

  it('takes every host byte 0x21-0xFF except @, dotted or not (Erlang does not check the dot at start-up)', () => {
    expect(parseNodeName('a@!~\u007f\u0080\u00ff').host).toBe('!~\u007f\u0080\u00ff');
    expect(parseNodeName('a@localhost').host).toBe('localhost');
  });

  it('limits the whole name to 255 characters', () => {
    const host = 'h'.repeat(253);
    expect(parseNodeName(`a@${host}`).host).toBe(host); // 255
    expect(codeOf(() => parseNodeName(`ab@${host}`))).toBe('KINDRED_ERR_NODE_NAME_TOO_LONG'); // 256
    expect(codeOf(() => formatNodeName({ name: 'ab', host }))).toBe('KINDRED_ERR_NODE_NAME_TOO_LONG');
  });

  it('formatNodeName validates like parseNodeName', () => {
    expect(codeOf(() => formatNodeName({ name: '', host: 'h' }))).toBe('KINDRED_ERR_NODE_NAME_INVALID_NAME');
    expect(codeOf(() => formatNodeName({ name: 'a', host: 'b@c' }))).toBe(
      'KINDRED_ERR_NODE_NAME_INVALID_HOST',
    );
  });

  it('property: parse(format(n)) is n for every legal name', () => {
    fc.assert(
      fc.property(nodeArb, (n) => {
        expect(parseNodeName(formatNodeName(n))).toEqual(n);
      }),
      { numRuns: 500 },
    );
  });

  it('property: format(parse(s)) is s for every string parse accepts, and parse never throws a non-coded error', () => {
    const textArb = fc.oneof(
      nodeArb.map((n) => `${n.name}@${n.host}`),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('a', '@', '.', ':', ' ', '-', '\u00e9', '1'), maxLength: 20 }),
    );
    fc.assert(
      fc.property(textArb, (s) => {
        let parsed: NodeName;
        try {
          parsed = parseNodeName(s);
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^KINDRED_ERR_NODE_NAME_/);
          return;
        }
        expect(formatNodeName(parsed)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkDialable (Erlang inet_tcp_dist:splitnode)', () => {
  it("long names: a host without a dot that is not an IP literal is illegal, with Erlang's exact log text", () => {
    expect(codeOf(() => checkDialable('n1@localhost', 'longnames'))).toBe('KINDRED_ERR_ILLEGAL_HOSTNAME');
    expect(messageOf(() => checkDialable('n1@localhost', 'longnames'))).toBe(
      '** System running to use fully qualified hostnames **\n** Hostname localhost is illegal **',
    );
    expect(messageOf(() => checkDialable({ name: 'n1', host: 'imacpro' }, 'longnames'))).toBe(
      '** System running to use fully qualified hostnames **\n** Hostname imacpro is illegal **',
    );
  });

  it('long names: dotted hosts and IP literals (IPv4 and IPv6) are dialable', () => {
    for (const ok of [
      'n1@imacpro.home',
      'n1@127.0.0.1',
      'n1@::1',
      'n1@fe80::1',
      'n1@2001:db8::1',
      'n1@::ffff:10.0.0.1',
    ]) {
      expect(() => checkDialable(ok, 'longnames')).not.toThrow();
    }
  });

  it('long names: a bracketed IPv6 host is not an IP literal (Erlang: no protocol resolves it)', () => {
    expect(codeOf(() => checkDialable('n1@[::1]', 'longnames'))).toBe('KINDRED_ERR_ILLEGAL_HOSTNAME');
  });

  it('short names: a dotted host is illegal, so is every IPv4 literal', () => {
    expect(messageOf(() => checkDialable('n1@127.0.0.1', 'shortnames'))).toBe(
      '** System NOT running to use fully qualified hostnames **\n** Hostname 127.0.0.1 is illegal **',
    );
    expect(codeOf(() => checkDialable('n1@imacpro.home', 'shortnames'))).toBe('KINDRED_ERR_ILLEGAL_HOSTNAME');
    expect(codeOf(() => checkDialable('n1@::ffff:127.0.0.1', 'shortnames'))).toBe(
      'KINDRED_ERR_ILLEGAL_HOSTNAME',
    );
  });

  it('short names: hosts without a dot are dialable, an IPv6 literal without dots included (as inet6_tcp)', () => {
    for (const ok of ['n1@imacpro', 'n1@localhost', 'n1@::1', 'n1@fe80::1']) {
      expect(() => checkDialable(ok, 'shortnames')).not.toThrow();
    }
  });

  it('a string without @ fails with the parse code', () => {
    expect(codeOf(() => checkDialable('n1', 'longnames'))).toBe('KINDRED_ERR_NODE_NAME_NO_AT');
  });

  it('property: a name is dialable exactly in the mode namingModeOf gives it', () => {
    fc.assert(
      fc.property(nodeArb, (n) => {
        const mode = namingModeOf(n);
        expect(() => checkDialable(n, mode)).not.toThrow();
        const other = mode === 'longnames' ? 'shortnames' : 'longnames';
        const dialableInOther = codeOf(() => checkDialable(n, other)) === undefined;
        // Only an IPv6 literal without dots is legal in both modes.
        expect(dialableInOther).toBe(isIpLiteral(n.host) && !n.host.includes('.'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('namingModeOf', () => {
  it('dotted or IP literal means long names, anything else short names', () => {
    expect(namingModeOf('a@host.example')).toBe('longnames');
    expect(namingModeOf('a@10.0.0.1')).toBe('longnames');
    expect(namingModeOf('a@::1')).toBe('longnames');
    expect(namingModeOf('a@host')).toBe('shortnames');
    expect(namingModeOf({ name: 'a', host: 'localhost' })).toBe('shortnames');
  });
});
