import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertLabPrerequisites, type LabHost, LabNetwork } from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCookie } from '../src/cookie.js';

// loadCookie against the oracle: the same bytes as ~/.erlang.cookie for Debian's real erl (OTP 25, auth.erl) and as
// ~/.kindred.cookie for kindred must give the same cookie or the same refusal. erl runs with -sname in a lab
// namespace (its epmd dies with the namespace in afterAll); every HOME is a temporary directory removed afterwards.

let net: LabNetwork;
let host: LabHost;
let base: string;

beforeAll(async () => {
  await assertLabPrerequisites();
  if (!existsSync('/usr/bin/erl'))
    throw new Error("erl is missing: run 'bash scripts/setup.sh' (erlang-base)");
  base = await mkdtemp(join(tmpdir(), 'kindred-cookie-erl-'));
  net = await LabNetwork.create();
  host = await net.addHost({ hostname: 'c1', address: '10.244.4.2' });
});

afterAll(async () => {
  await net?.destroy();
  if (base) await rm(base, { recursive: true, force: true });
});

let homes = 0;
async function newHome(): Promise<string> {
  const home = join(base, `h${homes++}`);
  await mkdir(home, { mode: 0o700 });
  return home;
}

/** erl's verdict on HOME's ~/.erlang.cookie: `{ cookie }` or `{ error }` with auth.erl's message. */
async function erlCookie(home: string): Promise<{ cookie?: string; error?: string }> {
  const r = await host.exec(
    [
      'erl',
      '-sname',
      'c1',
      '-noshell',
      '-eval',
      'io:format("COOKIE[~s]~n",[atom_to_list(erlang:get_cookie())]), halt().',
    ],
    { env: { HOME: home }, cwd: home, timeoutMs: 30_000 },
  );
  const out = r.stdout + r.stderr;
  const cookie = /COOKIE\[(.*)\]\n/s.exec(out)?.[1];
  if (cookie !== undefined) return { cookie };
  const error = /(Bad characters in cookie|Too short cookie string|must be accessible by owner only)/.exec(
    out,
  )?.[1];
  if (error === undefined) throw new Error(`erl gave neither a cookie nor a known error:\n${out}`);
  return { error };
}

const ERL_MESSAGE_FOR: Record<string, string> = {
  KINDRED_ERR_COOKIE_BAD_CHARACTERS: 'Bad characters in cookie',
  KINDRED_ERR_COOKIE_TOO_SHORT: 'Too short cookie string',
  KINDRED_ERR_COOKIE_FILE_MODE: 'must be accessible by owner only',
};

async function ours(home: string): Promise<{ cookie?: string; error?: string }> {
  try {
    return { cookie: (await loadCookie({ env: {}, home })).cookie };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'none';
    return { error: ERL_MESSAGE_FOR[code] ?? code };
  }
}

const CONTENTS = [
  'monster\n',
  'ab c \n',
  'x\r\n\n  ',
  ' ~!@#$%^&*()_+{}|:"<>?`-=[];,./\n',
  '  ab\t\n',
  'ab\ncd',
  'abc\u0001',
  '\n',
];

describe('loadCookie reads a cookie file as erl does', () => {
  it.each(CONTENTS.map((c) => [JSON.stringify(c), c]))('content %s', async (_label, content) => {
    const home = await newHome();
    await writeFile(join(home, '.erlang.cookie'), content, { mode: 0o400 });
    await writeFile(join(home, '.kindred.cookie'), content, { mode: 0o400 });
    expect(await ours(home)).toEqual(await erlCookie(home));
  });

  it('refuses a file group can read, as erl does', async () => {
    const home = await newHome();
    for (const name of ['.erlang.cookie', '.kindred.cookie']) {
      await writeFile(join(home, name), 'abc\n');
      await chmod(join(home, name), 0o440);
    }
    const erl = await erlCookie(home);
    expect(erl).toEqual({ error: 'must be accessible by owner only' });
    expect(await ours(home)).toEqual(erl);
  });

  it('creates a missing file like erl: 20 upper-case letters, mode 0400', async () => {
    const home = await newHome();
    const erl = await erlCookie(home);
    const created = await loadCookie({ env: {}, home });
    expect(created.source).toBe('created');
    for (const [name, cookie] of [
      ['.erlang.cookie', erl.cookie],
      ['.kindred.cookie', created.cookie],
    ] as const) {
      expect(cookie).toMatch(/^[A-Z]{20}$/);
      expect(await readFile(join(home, name), 'latin1')).toBe(cookie);
      expect((await stat(join(home, name))).mode & 0o777).toBe(0o400);
    }
  });
});
