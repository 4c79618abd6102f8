// The seed's name experiment with one side a real erl (Debian's erlang-base, long names) and the other a kindred
// runtime node on Erlang's wire (startNode({ distribution: 'erlang' }) and the built `kindred ping --erlang`), in both
// orders: `n@127.0.0.1` pang when the node calls itself `n@<another host>`, `n@localhost` illegal and pang, a short
// name pang under long names, the right name pong, a wrong cookie pang (erl's line logged by the acceptor), a missing
// mandatory flag refused with erl's message.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BEAM_NET_ERRORS, DFLAG, KINDRED_DIST_FLAGS } from '@kindred/beam';
import { NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from '../../beam/test/helpers/erl.js';
import { memoryLogger } from '../../beam/test/helpers/js-node.js';
import { type StartedNode, type StartNodeOptions, startNode } from '../src/index.js';

const CLI = fileURLToPath(new URL('../../cli/bin/kindred.js', import.meta.url));
const run = promisify(execFile);
/** A node without BIG_CREATION (OTP 25's mandatory set then misses it). */
const NO_BIG_CREATION = KINDRED_DIST_FLAGS & ~DFLAG.BIG_CREATION & ~DFLAG.MANDATORY_25_DIGEST;

describe("the seed's name experiment between a kindred node on Erlang's wire and a real erl", () => {
  let epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  let erl: Erl;
  const id = runId();
  const cookie = `cookie${id}`;
  const ename = `e${id}@127.0.0.1`;
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    expect(existsSync(CLI), 'build first: bash scripts/pnpm.sh run build').toBe(true);
    epmd = await startEpmd();
    erl = await Erl.start(ename, cookie, epmd.env);
  });

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await erl?.stop();
    await epmd?.proc.stop();
  });

  async function kindred(name: string, extra: Partial<StartNodeOptions> = {}): Promise<StartedNode> {
    const node = await startNode({
      name,
      cookie,
      distribution: 'erlang',
      ...extra,
      erlang: { epmdPort: epmd.port, ...extra.erlang },
      env: {},
    });
    cleanup.push(() => node.stop());
    return node;
  }

  async function otherErl(name: string, c = cookie): Promise<Erl> {
    const e = await Erl.start(name, c, epmd.env);
    cleanup.push(() => e.stop());
    return e;
  }

  /** `kindred ping --erlang --json TARGET` with the built CLI; its JSON line. */
  async function cliPing(target: string, c = cookie): Promise<Record<string, unknown>> {
    const env = { ...process.env, ERL_EPMD_PORT: String(epmd.port), KINDRED_COOKIE: c };
    const args = [CLI, 'ping', target, '--erlang', '--json', '--name', `p${runId()}@127.0.0.1`];
    const out = await run('node', args, { env }).catch((err: { stdout: string }) => err);
    return JSON.parse(out.stdout) as Record<string, unknown>;
  }

  /** erl's pings from `e`, each an output line index to look for log lines after. */
  async function erlPing(e: Erl, target: string): Promise<{ result: string; from: number }> {
    const from = e.proc.lines.length;
    return { result: await e.eval(`net_adm:ping('${target}')`), from };
  }

  describe('erl dials the kindred node', () => {
    it('n@127.0.0.1 is pang when the node calls itself n@<another host>; the right name is pong', async () => {
      const other = await kindred(`n${id}@elsewhere.example`);
      expect((await erlPing(erl, `n${id}@127.0.0.1`)).result).toBe('pang');
      expect(other.nodes()).toEqual([]);
      expect(await erl.eval(`lists:member('n${id}@elsewhere.example', nodes())`)).toBe('false');

      const right = await kindred(`r${id}@127.0.0.1`);
      expect((await erlPing(erl, right.name)).result).toBe('pong');
      expect(await erl.eval(`lists:member('${right.name}', nodes())`)).toBe('true');
    });

    it("n@localhost is illegal under long names (erl's line) and pang; a short name is pang", async () => {
      await kindred(`l${id}@127.0.0.1`);
      const local = await erlPing(erl, `l${id}@localhost`);
      expect(local.result).toBe('pang');
      await erl.proc.waitFor(/Hostname localhost is illegal/, 10_000, local.from);
      // A short host that does not resolve never reaches splitnode/3 (inet_tcp_dist:select/1 finds no address
      // first), so erl logs nothing for it: pang only.
      expect((await erlPing(erl, `l${id}@kindredhost`)).result).toBe('pang');
      expect(await erl.eval(`[N || N <- nodes(), lists:prefix("l${id}@", atom_to_list(N))]`)).toBe('[]');
    });

    it("a wrong cookie is pang, and the kindred acceptor logs erl's line", async () => {
      const logger = memoryLogger();
      // startNode takes a pino logger; the node only calls child/info/warn/... (the interface's Logger).
      const node = await kindred(`c${id}@127.0.0.1`, {
        logger: logger as unknown as StartNodeOptions['logger'],
      });
      const wrong = await otherErl(`w${id}@127.0.0.1`, `other${id}`);
      expect((await erlPing(wrong, node.name)).result).toBe('pang');
      expect(logger.lines.map((l) => l.msg)).toContain(
        `** Connection attempt from node '${wrong.name}' rejected. Invalid challenge reply. **`,
      );
      expect(node.nodes()).toEqual([]);
    });

    it("a kindred node missing a mandatory flag is refused with erl's message", async () => {
      const node = await kindred(`f${id}@127.0.0.1`, { erlang: { flags: NO_BIG_CREATION } });
      const ping = await erlPing(erl, node.name);
      expect(ping.result).toBe('pang');
      await erl.proc.waitFor(/aborted since it cannot handle \["BIG_CREATION"\]/, 10_000, ping.from);
      expect(node.nodes()).toEqual([]);
    });
  });

  describe('the kindred node dials erl (startNode and kindred ping --erlang)', () => {
    it('n@127.0.0.1 is pang when erl calls itself n@<another host>; the right name is pong', async () => {
      await otherErl(`m${id}@elsewhere.example`);
      const node = await kindred(`d${id}@127.0.0.1`);
      await expect(node.connect(`m${id}@127.0.0.1`)).rejects.toMatchObject({
        code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
        details: { reason: 'name_mismatch', answered: `m${id}@elsewhere.example` },
      });
      expect(await cliPing(`m${id}@127.0.0.1`)).toMatchObject({ result: 'pang', reason: 'name_mismatch' });

      await node.connect(ename);
      expect(node.nodes()).toContain(ename);
      expect(await erl.eval(`lists:member('${node.name}', nodes())`)).toBe('true');
      expect(await cliPing(ename)).toMatchObject({ result: 'pong', node: ename });
    });

    it('n@localhost and a short name are illegal under long names: pang', async () => {
      const node = await kindred(`i${id}@127.0.0.1`);
      for (const host of ['localhost', 'erlhost']) {
        await expect(node.connect(`e${id}@${host}`)).rejects.toMatchObject({
          code: NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME,
        });
        expect(await cliPing(`e${id}@${host}`)).toMatchObject({ result: 'pang', reason: 'illegal_hostname' });
      }
      expect(node.nodes()).toEqual([]);
    });

    it('a wrong cookie is pang, and erl logs "Invalid challenge reply."', async () => {
      const node = await kindred(`x${id}@127.0.0.1`, { cookie: `wrong${id}` });
      let from = erl.proc.lines.length;
      await expect(node.connect(ename)).rejects.toMatchObject({
        code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
        details: { reason: 'bad_cookie' },
      });
      await erl.proc.waitFor(/Invalid challenge reply/, 10_000, from);
      from = erl.proc.lines.length;
      expect(await cliPing(ename, `wrong${id}`)).toMatchObject({ result: 'pang', reason: 'bad_cookie' });
      await erl.proc.waitFor(/Invalid challenge reply/, 10_000, from);
      expect(await erl.eval(`lists:member('${node.name}', nodes())`)).toBe('false');
    });

    it("a kindred node missing a mandatory flag is refused with erl's message", async () => {
      const node = await kindred(`g${id}@127.0.0.1`, { erlang: { flags: NO_BIG_CREATION } });
      const from = erl.proc.lines.length;
      await expect(node.connect(ename)).rejects.toMatchObject({
        code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
        details: { reason: 'not_allowed' },
      });
      await erl.proc.waitFor(/rejected since it cannot handle \["BIG_CREATION"\]/, 10_000, from);
      expect(node.nodes()).toEqual([]);
    });
  });
});
