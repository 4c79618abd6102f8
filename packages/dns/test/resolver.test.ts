import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery, rawRecord, rawResponse, srvData, TYPE } from '@kindred/test-support';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/message.js';
import { parseNameserver, Resolver } from '../src/resolver.js';

// These tests use tiny in-test DNS servers on loopback. They are deliberate fakes, for behaviour a real server
// (BIND, tested in test/lab/test/dns-server.integration.test.ts) will not produce on demand: answering with a wrong ID
// or question, staying silent, or answering SERVFAIL/REFUSED to every query.

type Reply = (query: ReturnType<typeof decodeMessage>, raw: Buffer) => Buffer[];

async function fakeServer(reply: Reply): Promise<{ port: number; socket: Socket; queries: string[] }> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (raw: Buffer, rinfo: RemoteInfo) => {
    const query = decodeMessage(raw);
    queries.push(`${query.question?.name} ${query.question?.type}`);
    for (const buf of reply(query, raw)) socket.send(buf, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, socket, queries };
}

function response(
  query: ReturnType<typeof decodeMessage>,
  overrides: { id?: number; name?: string; rcode?: number; answers?: unknown[] } = {},
): Buffer {
  const q = query.question!;
  return encodeMessage({
    id: overrides.id ?? query.id,
    type: 'response',
    flags: (overrides.rcode ?? 0) | (1 << 10),
    questions: [{ name: overrides.name ?? q.name, type: q.type, class: 'IN' }],
    answers: (overrides.answers ?? []) as never,
  });
}

const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers) close();
});

const resolverFor = (port: number, extra: ConstructorParameters<typeof Resolver>[0] = {}) =>
  new Resolver({
    nameservers: [`127.0.0.1:${port}`],
    search: [],
    resolvConfPath: '/nonexistent/resolv.conf',
    hostsPath: '/nonexistent/hosts',
    timeoutMs: 300,
    attempts: 1,
    ...extra,
  });

describe('Resolver options', () => {
  it('rejects bad options at construction, naming the option', () => {
    expect(() => new Resolver({ ndots: 16 })).toThrow(/ndots/);
    expect(() => new Resolver({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new Resolver({ attempts: 1.5 })).toThrow(/attempts/);
    expect(() => new Resolver({ nameservers: [] })).toThrow(/nameservers/);
    expect(() => new Resolver({ nameservers: ['dns.example'] })).toThrow(
      expect.objectContaining({
        code: 'KINDRED_ERR_DNS_BAD_CONFIG',
        message: expect.stringMatching(/nameservers\[0\]/),
      }),
    );
  });

  it('parses nameserver strings', () => {
    expect(parseNameserver('10.0.0.1')).toEqual({ address: '10.0.0.1', port: 53 });
    expect(parseNameserver('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseNameserver('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseNameserver('[::1]:5353')).toEqual({ address: '::1', port: 5353 });
    expect(() => parseNameserver('127.0.0.1:0')).toThrow(/port/);
  });

  it('merges resolv.conf with overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-resolver-'));
    try {
      await writeFile(
        join(dir, 'resolv.conf'),
        'nameserver 192.0.2.1\nsearch a.test b.test\noptions ndots:5 rotate\n',
      );
      const conf = await new Resolver({ resolvConfPath: join(dir, 'resolv.conf'), ndots: 2 }).config();
      expect(conf).toEqual({
        nameservers: [{ address: '192.0.2.1', port: 53 }],
        search: ['a.test', 'b.test'],
        ndots: 2,
        timeoutMs: 5000,
        attempts: 2,
        rotate: true,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Resolver against misbehaving servers', () => {
  let silent: Socket;
  let silentPort = 0;
  beforeAll(async () => {
    // A real socket that reads queries and never answers: a server that is up but hung.
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    silentPort = silent.address().port;
    closers.push(() => silent.close());
  });

  it('times out with KINDRED_ERR_DNS_TIMEOUT when the server never answers, after timeout x attempts', async () => {
    const r = resolverFor(silentPort, { attempts: 2, timeoutMs: 200 });
    await expect(r.resolve('a.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_TIMEOUT',
      details: expect.objectContaining({
        servers: [`127.0.0.1:${silentPort}: timeout`, `127.0.0.1:${silentPort}: timeout`],
      }),
    });
    expect(r.stats.queries).toBe(2);
  });

  it('reports a server that is down (port closed) with the timeout code, as glibc reports EAI_AGAIN', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    probe.close();
    const r = resolverFor(port, { timeoutMs: 2000 });
    const err = await r.resolve('a.test.', 'A').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KINDRED_ERR_DNS_TIMEOUT' });
    // The ICMP port unreachable ends the wait early; the message says which server and why.
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    // And, as in glibc, it ends the search walk too: one query, not one per search domain.
    const walker = resolverFor(port, { search: ['a.test', 'b.test'], ndots: 5 });
    await expect(walker.resolve('svc', 'A')).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_TIMEOUT' });
    expect(walker.stats.queries).toBe(1);
  });

  it('tries the next server when one is down, and uses the one that answers', async () => {
    const good = await fakeServer((q) => [
      response(q, { answers: [{ name: q.question!.name, type: 'A', ttl: 7, data: '192.0.2.7' }] }),
    ]);
    closers.push(() => good.socket.close());
    const r = resolverFor(silentPort, { nameservers: [`127.0.0.1:${silentPort}`, `127.0.0.1:${good.port}`] });
    const res = await r.resolve('x.test.', 'A');
    expect(res.answers).toEqual([{ name: 'x.test', type: 'A', ttl: 7, data: '192.0.2.7' }]);
    expect(res.server).toBe(`127.0.0.1:${good.port}`);
  });

  it('ignores reflected queries and answers with a wrong ID or question, and accepts the real one after them', async () => {
    const evil = await fakeServer((q, raw) => [
      raw, // our own query reflected: right ID and question, but not a response (QR bit clear)
      response(q, {
        id: (q.id + 1) % 65536,
        answers: [{ name: q.question!.name, type: 'A', data: '6.6.6.1' }],
      }),
      response(q, { name: 'evil.test', answers: [{ name: 'evil.test', type: 'A', data: '6.6.6.2' }] }),
      Buffer.from('not a dns message'),
      response(q, { answers: [{ name: q.question!.name, type: 'A', ttl: 9, data: '192.0.2.9' }] }),
    ]);
    closers.push(() => evil.socket.close());
    const r = resolverFor(evil.port);
    const res = await r.resolve('good.test.', 'A');
    expect(res.answers.map((a) => a.data)).toEqual(['192.0.2.9']);
    expect(r.stats.mismatched).toBe(4);
  });

  it('sends each query from a fresh socket: random source port and random ID', async () => {
    const seen: { port: number; id: number }[] = [];
    const srv = await fakeServer((q) => [
      response(q, { answers: [{ name: q.question!.name, type: 'A', data: '192.0.2.3' }] }),
    ]);
    srv.socket.on('message', (raw: Buffer, rinfo: RemoteInfo) =>
      seen.push({ port: rinfo.port, id: raw.readUInt16BE(0) }),
    );
    closers.push(() => srv.socket.close());
    const r = resolverFor(srv.port);
    for (let i = 0; i < 8; i++) await r.resolve('p.test.', 'A');
    expect(seen).toHaveLength(8);
    // The kernel picks a random ephemeral port per bind(0); 8 queries from one socket would all share one port.
    expect(new Set(seen.map((s) => s.port)).size).toBeGreaterThan(1);
    expect(new Set(seen.map((s) => s.id)).size).toBeGreaterThan(1);
  });

  it('times out when only spoofed answers arrive', async () => {
    const evil = await fakeServer((q) => [response(q, { id: (q.id + 1) % 65536 })]);
    closers.push(() => evil.socket.close());
    await expect(resolverFor(evil.port).resolve('good.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_TIMEOUT',
    });
  });

  it('rotates the first server between queries with rotate, and always starts at the first without', async () => {
    const a = await fakeServer((q) => [
      response(q, { answers: [{ name: q.question!.name, type: 'A', data: '192.0.2.1' }] }),
    ]);
    const b = await fakeServer((q) => [
      response(q, { answers: [{ name: q.question!.name, type: 'A', data: '192.0.2.2' }] }),
    ]);
    closers.push(
      () => a.socket.close(),
      () => b.socket.close(),
    );
    const servers = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
    const rotating = resolverFor(a.port, { nameservers: servers, rotate: true });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await rotating.resolve('r.test.', 'A')).answers[0]!.data);
    expect(seen).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.1', '192.0.2.2']);
    const fixed = resolverFor(a.port, { nameservers: servers });
    for (let i = 0; i < 2; i++)
      expect((await fixed.resolve('r.test', 'A')).answers[0]!.data).toBe('192.0.2.1');
  });

  it('tells SERVFAIL and REFUSED apart', async () => {
    const servfail = await fakeServer((q) => [response(q, { rcode: 2 })]);
    const refused = await fakeServer((q) => [response(q, { rcode: 5 })]);
    closers.push(
      () => servfail.socket.close(),
      () => refused.socket.close(),
    );
    await expect(resolverFor(servfail.port).resolve('a.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_SERVFAIL',
    });
    await expect(resolverFor(refused.port).resolve('a.test.', 'A')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_REFUSED',
    });
  });

  it('walks the search list in glibc order and keeps going past SERVFAIL but not past a timeout', async () => {
    const srv = await fakeServer((q) =>
      q.question!.name.endsWith('.broken.test') ? [response(q, { rcode: 2 })] : [response(q, { rcode: 3 })],
    );
    closers.push(() => srv.socket.close());
    const r = resolverFor(srv.port, { search: ['broken.test', 'b.test'], ndots: 1 });
    await expect(r.resolve('svc', 'A')).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_SERVFAIL' });
    expect(srv.queries.splice(0)).toEqual(['svc.broken.test A', 'svc.b.test A', 'svc A']);
    // Enough dots: the name as is first.
    await expect(r.resolve('a.b', 'A')).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_NXDOMAIN' });
    expect(srv.queries.splice(0)).toEqual(['a.b A', 'a.b.broken.test A', 'a.b.b.test A']);
    // Trailing dot: absolute only.
    await expect(r.resolve('svc.', 'A')).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_NXDOMAIN' });
    expect(srv.queries.splice(0)).toEqual(['svc A']);
  });

  it('asks exactly the names glibc would, in its order, for any name, search list and ndots (property)', async () => {
    const srv = await fakeServer((q) => [response(q, { rcode: 3 })]);
    closers.push(() => srv.socket.close());
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.uniqueArray(
          fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.')),
          { maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 5 }),
        async (labels, trailingDot, search, ndots) => {
          const bare = labels.join('.');
          const expected = trailingDot
            ? [bare]
            : labels.length - 1 >= ndots
              ? [bare, ...search.map((d) => `${bare}.${d}`)]
              : [...search.map((d) => `${bare}.${d}`), bare];
          srv.queries.splice(0);
          const r = resolverFor(srv.port, { search, ndots });
          await expect(r.resolve(trailingDot ? `${bare}.` : bare, 'A')).rejects.toMatchObject({
            code: 'KINDRED_ERR_DNS_NXDOMAIN',
          });
          expect(srv.queries).toEqual(expected.map((n) => `${n} A`));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    // The TCP side on the same port: a real TCP listener speaking DNS's 2-byte length framing.
    const tcp: Server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2 || buf.length < buf.readUInt16BE(0) + 2) return;
        const q = decodeMessage(buf.subarray(2));
        const answers = Array.from({ length: 3 }, (_, i) => ({
          name: q.question!.name,
          type: 'A',
          ttl: 5,
          data: `192.0.2.${i + 1}`,
        }));
        const out = response(q, { answers });
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    closers.push(() => tcp.close());
    // The OS picks the UDP port; its TCP twin may be taken by another process on a busy machine: then try another.
    let udp: Awaited<ReturnType<typeof fakeServer>> | undefined;
    for (let attempt = 0; udp === undefined; attempt++) {
      const candidate = await fakeServer((q) => {
        const buf = response(q);
        buf.writeUInt16BE(buf.readUInt16BE(2) | (1 << 9), 2); // TC bit, no answers
        return [buf];
      });
      const listening = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen(candidate.port, '127.0.0.1', () => resolve(true));
      });
      if (listening) udp = candidate;
      else {
        candidate.socket.close();
        if (attempt >= 10) throw new Error('no UDP port whose TCP twin is free');
      }
    }
    closers.push(() => udp.socket.close());
    const r = resolverFor(udp.port);
    const res = await r.resolve('big.test.', 'A');
    expect(res.answers.map((a) => a.data)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(r.stats.tcpFallbacks).toBe(1);
  });
});

describe('Resolver against malformed records (real UDP, crafted bytes)', () => {
  it('refuses a truncated A record with KINDRED_ERR_DNS_BAD_RESPONSE, never an invalid address', async () => {
    // The case: an A record whose data is 2 bytes, at the end of the datagram.
    const srv = await fakeServer((_q, raw) => [
      rawResponse(parseQuery(raw), { answers: [rawRecord('a.test', TYPE.A, Buffer.from([10, 0]))] }),
    ]);
    closers.push(() => srv.socket.close());
    const r = resolverFor(srv.port);
    const err = (await r.resolve('a.test.', 'A').catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'KINDRED_ERR_DNS_BAD_RESPONSE' });
    expect(err.message).toMatch(
      /malformed answer: A record a\.test: an IPv4 address is 4 bytes \(RDLENGTH 2\)/,
    );
    expect(r.stats.malformed).toBe(1);
    await expect(r.lookupHost('a.test.', { family: 4 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_BAD_RESPONSE',
    });
  });

  it('keeps waiting after a malformed answer and takes a valid one that follows (a spoofer cannot displace it)', async () => {
    const srv = await fakeServer((_q, raw) => {
      const q = parseQuery(raw);
      return [
        rawResponse(q, { answers: [rawRecord('a.test', TYPE.AAAA, Buffer.from([10, 0, 0, 1]))] }),
        rawResponse(q, {
          answers: [rawRecord('a.test', TYPE.AAAA, Buffer.from('fd000000000000000000000000000009', 'hex'))],
        }),
      ];
    });
    closers.push(() => srv.socket.close());
    const r = resolverFor(srv.port, { timeoutMs: 5_000 });
    const res = await r.resolve('a.test.', 'AAAA');
    expect(res.answers.map((a) => a.data)).toEqual(['fd00::9']);
    expect(r.stats.malformed).toBe(1);
  });

  it('refuses SRV answers whose target name runs past the record, and SRV glue that is not an address', async () => {
    const target = 'pod-1.svc.test';
    const srv = await fakeServer((_q, raw) => {
      const q = parseQuery(raw);
      const data = srvData(target, 8585);
      return q.name === 'bad-srv.test'
        ? [rawResponse(q, { answers: [rawRecord(q.name, TYPE.SRV, data, data.length - 4)] })]
        : [
            rawResponse(q, {
              answers: [rawRecord(q.name, TYPE.SRV, data)],
              additionals: [rawRecord(target, TYPE.A, Buffer.from([10, 244, 1]))],
            }),
          ];
    });
    closers.push(() => srv.socket.close());
    const r = resolverFor(srv.port);
    await expect(r.resolveSrv('bad-srv.test.')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_BAD_RESPONSE',
    });
    await expect(r.resolveSrv('bad-glue.test.')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_BAD_RESPONSE',
    });
    expect(r.stats.malformed).toBe(2);
  });

  it('still goes to TCP on a truncated UDP answer whose records are cut short', async () => {
    const udp = await fakeServer((_q, raw) => [
      // TC set, and the datagram ends inside the A record, as a server truncating at the byte limit would send it.
      rawResponse(
        parseQuery(raw),
        { answers: [rawRecord('t.test', TYPE.A, Buffer.from([10]), 4)] },
        { truncated: true },
      ),
    ]);
    closers.push(() => udp.socket.close());
    const tcp: Server = createServer((sock) => {
      sock.once('data', (chunk: Buffer) => {
        const out = rawResponse(parseQuery(chunk.subarray(2)), {
          answers: [rawRecord('t.test', TYPE.A, Buffer.from([192, 0, 2, 44]))],
        });
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    await new Promise<void>((resolve) => tcp.listen(udp.port, '127.0.0.1', resolve));
    closers.push(() => tcp.close());
    const r = resolverFor(udp.port);
    expect((await r.resolve('t.test.', 'A')).answers.map((a) => a.data)).toEqual(['192.0.2.44']);
    expect(r.stats.tcpFallbacks).toBe(1);
  });
});

describe('Resolver.resolveSrv deadline (real UDP, a server that never answers some queries)', () => {
  // SRV answers with `count` targets and no glue; A/AAAA for `fast-*` targets are answered, `slow-*` never are.
  async function srvServer(fast: number, slow: number) {
    const targets = [
      ...Array.from({ length: fast }, (_, i) => `fast-${i}.svc.test`),
      ...Array.from({ length: slow }, (_, i) => `slow-${i}.svc.test`),
    ];
    const srv = await fakeServer((_q, raw) => {
      const q = parseQuery(raw);
      if (q.type === TYPE.SRV) {
        return [
          rawResponse(q, { answers: targets.map((t) => rawRecord(q.name, TYPE.SRV, srvData(t, 8585))) }),
        ];
      }
      if (q.name.startsWith('slow-')) return [];
      const i = Number(q.name.split('.')[0]!.slice(5));
      return q.type === TYPE.A
        ? [rawResponse(q, { answers: [rawRecord(q.name, TYPE.A, Buffer.from([10, 0, 0, i + 1]))] })]
        : [rawResponse(q)]; // NODATA for AAAA
    });
    closers.push(() => srv.socket.close());
    return srv;
  }

  it('returns every target on the deadline, the unresolved ones without addresses, marked partial and logged', async () => {
    const srv = await srvServer(3, 40);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    // Per-query timeout far beyond the deadline: only the deadline can end this call.
    const r = resolverFor(srv.port, { timeoutMs: 600_000, srvAddressConcurrency: 8, logger });
    const res = await r.resolveSrv('_d._tcp.svc.test.', { deadlineMs: 400 });
    expect(res.targets).toHaveLength(43);
    const fast = res.targets.filter((t) => t.target.startsWith('fast-'));
    expect(fast.map((t) => t.addresses)).toEqual([['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3']]);
    expect(
      res.targets.filter((t) => t.target.startsWith('slow-')).every((t) => t.addresses.length === 0),
    ).toBe(true);
    expect(res.partial).toMatchObject({
      code: 'KINDRED_ERR_DNS_DEADLINE',
      details: { deadlineMs: 400, targets: 43 },
    });
    expect((res.partial!.details!.unresolved as string[]).sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `slow-${i}.svc.test`).sort(),
    );
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warned).toContainEqual(
      expect.objectContaining({ code: 'KINDRED_ERR_DNS_DEADLINE', unresolved: 40, component: 'dns' }),
    );
  });

  it('asks at most srvAddressConcurrency targets at a time, and starts none after the deadline', async () => {
    const srv = await srvServer(0, 50);
    const r = resolverFor(srv.port, { timeoutMs: 600_000, srvAddressConcurrency: 4 });
    const res = await r.resolveSrv('_d._tcp.svc.test.', { deadlineMs: 300 });
    expect(res.partial?.code).toBe('KINDRED_ERR_DNS_DEADLINE');
    // One SRV query, then A and AAAA for the first 4 targets, all unanswered: nobody else was asked.
    expect(srv.queries).toHaveLength(1 + 4 * 2);
  });

  it('asks no A/AAAA of a target whose addresses the caller passes in knownAddresses', async () => {
    const srv = await srvServer(3, 0);
    const r = resolverFor(srv.port);
    const known = new Map([
      ['fast-0.svc.test', ['10.9.9.9']],
      ['fast-1.svc.test', ['10.9.9.8', 'fd00::8']],
    ]);
    const res = await r.resolveSrv('_d._tcp.svc.test.', { knownAddresses: known });
    expect(res.partial).toBeUndefined();
    expect(res.targets.map((t) => [t.target, t.addresses])).toEqual([
      ['fast-0.svc.test', ['10.9.9.9']],
      ['fast-1.svc.test', ['10.9.9.8', 'fd00::8']],
      ['fast-2.svc.test', ['10.0.0.3']],
    ]);
    expect(srv.queries.sort()).toEqual(['_d._tcp.svc.test SRV', 'fast-2.svc.test A', 'fast-2.svc.test AAAA']);
  });

  it('rejects with KINDRED_ERR_DNS_DEADLINE when the SRV answer itself does not come in time', async () => {
    const silent = await fakeServer(() => []);
    closers.push(() => silent.socket.close());
    const r = resolverFor(silent.port, { timeoutMs: 600_000, srvDeadlineMs: 200 });
    await expect(r.resolveSrv('_d._tcp.svc.test.')).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_DEADLINE',
    });
    // The caller's signal ends it the same way, and so do the other lookups.
    const controller = new AbortController();
    const pending = r.lookupHost('svc.test.', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'KINDRED_ERR_DNS_DEADLINE' });
    await expect(r.resolve('svc.test', 'A', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_DEADLINE',
    });
  });

  it('returns a complete answer without partial when everything resolves in time', async () => {
    const srv = await srvServer(2, 0);
    const res = await resolverFor(srv.port).resolveSrv('_d._tcp.svc.test.');
    expect(res.partial).toBeUndefined();
    expect(res.targets.map((t) => t.addresses)).toEqual([['10.0.0.1'], ['10.0.0.2']]);
  });

  it('rejects a bad deadline option, naming it', async () => {
    expect(() => new Resolver({ srvDeadlineMs: 0 })).toThrow(/srvDeadlineMs/);
    await expect(new Resolver().resolveSrv('x.test', { deadlineMs: -1 })).rejects.toMatchObject({
      code: 'KINDRED_ERR_DNS_BAD_CONFIG',
      message: expect.stringMatching(/deadlineMs/),
    });
  });
});

describe('Resolver.lookupHost and canonicalName', () => {
  it('answers IP literals and /etc/hosts entries without DNS, like getaddrinfo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kindred-resolver-'));
    try {
      await writeFile(
        join(dir, 'hosts'),
        '127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.244.1.5\tweb-0.web.default.svc.cluster.local\tweb-0\n',
      );
      // The nameserver is a closed loopback port: these lookups must not need DNS (stats.queries stays 0).
      const r = new Resolver({ hostsPath: join(dir, 'hosts'), nameservers: ['127.0.0.1:9'], timeoutMs: 100 });
      expect(await r.lookupHost('10.1.2.3')).toEqual({
        name: '10.1.2.3',
        fqdn: '10.1.2.3',
        addresses: ['10.1.2.3'],
        source: 'literal',
      });
      expect(await r.lookupHost('localhost')).toMatchObject({
        addresses: ['127.0.0.1', '::1'],
        source: 'hosts',
      });
      expect(await r.lookupHost('localhost', { family: 6 })).toMatchObject({ addresses: ['::1'] });
      expect(await r.canonicalName('web-0')).toEqual({
        fqdn: 'web-0.web.default.svc.cluster.local',
        source: 'hosts',
      });
      expect(r.stats.queries).toBe(0);
      await expect(r.lookupHost('10.1.2.3', { family: 6 })).rejects.toMatchObject({
        code: 'KINDRED_ERR_DNS_NODATA',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
