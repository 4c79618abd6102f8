import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCookie, loadCookie, makeCookie } from '../src/cookie.js';

async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('checkCookie (auth.erl check_cookie, checked against erl)', () => {
  it('keeps printable ASCII, spaces included, and strips the line end', () => {
    expect(checkCookie('secret', 'x')).toBe('secret');
    expect(checkCookie('secret\n', 'x')).toBe('secret');
    expect(checkCookie('secret\r\n\n  ', 'x')).toBe('secret');
    expect(checkCookie('ab c \n', 'x')).toBe('ab c '); // erl: 'ab c '
    expect(checkCookie(' !~', 'x')).toBe(' !~');
  });

  it('refuses anything but CR, LF and spaces after the printable part', () => {
    for (const bad of ['ab\ncd', 'ab\t\n', 'abc\u0001', 'caf\u00e9', 'a\u007f']) {
      expect(() => checkCookie(bad, 'x')).toThrow(
        expect.objectContaining({ code: 'KINDRED_ERR_COOKIE_BAD_CHARACTERS' }),
      );
    }
  });

  it('refuses an empty cookie as too short', () => {
    for (const bad of ['', '\n', '\r\n']) {
      expect(() => checkCookie(bad, 'x')).toThrow(
        expect.objectContaining({ code: 'KINDRED_ERR_COOKIE_TOO_SHORT' }),
      );
    }
  });

  it('property: every printable ASCII string followed by a line end reads back as itself', () => {
    const printable = fc.string({
      unit: fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c)),
      minLength: 1,
    });
    fc.assert(
      fc.property(printable, fc.constantFrom('', '\n', '\r\n', '\n\n '), (cookie, end) => {
        expect(checkCookie(cookie + end, 'x')).toBe(cookie);
      }),
    );
  });

  it('makes 20 random upper-case letters, like auth.erl', () => {
    const a = makeCookie();
    expect(a).toMatch(/^[A-Z]{20}$/);
    expect(makeCookie()).not.toBe(a);
  });
});

describe('loadCookie', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'kindred-cookie-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('takes the option first, then KINDRED_COOKIE, both checked', async () => {
    const env = { KINDRED_COOKIE: 'from-env\n' };
    expect(await loadCookie({ cookie: 'opt', env, home })).toEqual({ cookie: 'opt', source: 'option' });
    expect(await loadCookie({ env, home })).toEqual({ cookie: 'from-env', source: 'env' });
    expect(await rejectionCode(loadCookie({ cookie: '', env, home }))).toBe('KINDRED_ERR_COOKIE_TOO_SHORT');
    expect(await rejectionCode(loadCookie({ env: { KINDRED_COOKIE: 'a\tb' }, home }))).toBe(
      'KINDRED_ERR_COOKIE_BAD_CHARACTERS',
    );
  });

  it('creates ~/.kindred.cookie with a random 20-letter cookie and mode 0400, then reads the same one', async () => {
    const created = await loadCookie({ env: {}, home });
    const path = join(home, '.kindred.cookie');
    expect(created).toEqual({ cookie: expect.stringMatching(/^[A-Z]{20}$/), source: 'created', path });
    expect((await stat(path)).mode & 0o777).toBe(0o400);
    expect(await readFile(path, 'utf8')).toBe(created.cookie);
    expect(await loadCookie({ env: {}, home })).toEqual({ cookie: created.cookie, source: 'file', path });
  });

  it('reads an owner-only file and strips its newline', async () => {
    const path = join(home, '.kindred.cookie');
    await writeFile(path, 'monster\n', { mode: 0o600 });
    expect(await loadCookie({ env: {}, home })).toEqual({ cookie: 'monster', source: 'file', path });
  });

  it('refuses a file that group or others can access, telling how to fix it', async () => {
    const path = join(home, '.kindred.cookie');
    await writeFile(path, 'monster\n');
    await chmod(path, 0o440);
    const err = await loadCookie({ env: {}, home }).catch((e: unknown) => e as Error & { code: string });
    expect(err).toMatchObject({ code: 'KINDRED_ERR_COOKIE_FILE_MODE' });
    expect((err as Error).message).toContain(`Cookie file ${path} must be accessible by owner only`);
    expect((err as Error).message).toContain(`chmod 400 ${path}`);
    await chmod(path, 0o604);
    expect(await rejectionCode(loadCookie({ env: {}, home }))).toBe('KINDRED_ERR_COOKIE_FILE_MODE');
  });

  it('refuses a cookie file that is not a regular file, and bad content in the file', async () => {
    await mkdir(join(home, '.kindred.cookie'), { mode: 0o700 });
    expect(await rejectionCode(loadCookie({ env: {}, home }))).toBe('KINDRED_ERR_COOKIE_FILE_TYPE');
    await rm(join(home, '.kindred.cookie'), { recursive: true });
    await writeFile(join(home, '.kindred.cookie'), '\n', { mode: 0o400 });
    expect(await rejectionCode(loadCookie({ env: {}, home }))).toBe('KINDRED_ERR_COOKIE_TOO_SHORT');
  });

  it('reads --cookie-file (cookieFile) before KINDRED_COOKIE, with the same rules, and never creates it', async () => {
    const path = join(home, 'my.cookie');
    await writeFile(path, 'from-file\n', { mode: 0o400 });
    expect(await loadCookie({ cookieFile: path, env: { KINDRED_COOKIE: 'from-env' }, home })).toEqual({
      cookie: 'from-file',
      source: 'file',
      path,
    });
    expect((await loadCookie({ cookie: 'flag', cookieFile: path, env: {} })).cookie).toBe('flag');
    await chmod(path, 0o440);
    expect(await rejectionCode(loadCookie({ cookieFile: path, env: {} }))).toBe(
      'KINDRED_ERR_COOKIE_FILE_MODE',
    );
    const missing = join(home, 'missing.cookie');
    expect(await rejectionCode(loadCookie({ cookieFile: missing, env: {} }))).toBe('KINDRED_ERR_COOKIE_FILE');
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('follows a Kubernetes Secret volume layout (cookie -> ..data/cookie -> ..<timestamp>/cookie), mode on the target', async () => {
    // What kubelet's atomic writer leaves in a Secret volume directory.
    const volume = join(home, 'secret-volume');
    const stamped = join(volume, '..2026_11_29_18_00_00.000000001');
    await mkdir(stamped, { recursive: true });
    await writeFile(join(stamped, 'cookie'), 'k8s-cookie', { mode: 0o400 }); // defaultMode: 0400
    await symlink('..2026_11_29_18_00_00.000000001', join(volume, '..data'));
    await symlink('..data/cookie', join(volume, 'cookie'));
    const path = join(volume, 'cookie');
    expect(await loadCookie({ cookieFile: path, env: {} })).toEqual({
      cookie: 'k8s-cookie',
      source: 'file',
      path,
    });
    // The symlinks themselves are 0777; only the target's mode counts. With fsGroup, kubelet adds group read:
    await chmod(join(stamped, 'cookie'), 0o440);
    const err = (await loadCookie({ cookieFile: path, env: {} }).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'KINDRED_ERR_COOKIE_FILE_MODE' });
    expect(err.message).toContain(`Cookie file ${path} must be accessible by owner only`);
    // The same rules for the home file: a symlinked ~/.kindred.cookie is read, not replaced.
    await chmod(join(stamped, 'cookie'), 0o400);
    await symlink(path, join(home, '.kindred.cookie'));
    expect(await loadCookie({ env: {}, home })).toMatchObject({ cookie: 'k8s-cookie', source: 'file' });
  });

  it('fails with a coded error when the home directory does not exist', async () => {
    expect(await rejectionCode(loadCookie({ env: {}, home: join(home, 'missing') }))).toBe(
      'KINDRED_ERR_COOKIE_FILE',
    );
  });
});
