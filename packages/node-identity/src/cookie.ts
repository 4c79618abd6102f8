import { randomInt } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KindredError } from '@kindred/dns';
import { NODE_IDENTITY_DEFAULTS, NODE_IDENTITY_ENV } from './defaults.js';
import { NODE_IDENTITY_ERRORS } from './errors.js';

/** Where a cookie came from. */
export type CookieSource = 'option' | 'env' | 'file' | 'created';

/** The result of {@link loadCookie}. */
export interface LoadedCookie {
  /** The cookie, checked and with its line ending stripped. */
  readonly cookie: string;
  /**
   * `option` (the `cookie` argument), `env` (`KINDRED_COOKIE`), `file` (read: `cookieFile` or the home directory's),
   * `created` (file written now).
   */
  readonly source: CookieSource;
  /** The cookie file's path when the source is `file` or `created`. */
  readonly path?: string;
}

/** Options of {@link loadCookie}. */
export interface LoadCookieOptions {
  /** An explicit cookie (the `--cookie` flag); wins over everything. */
  readonly cookie?: string;
  /**
   * A cookie file to read (the `--cookie-file` flag); wins over `KINDRED_COOKIE` and the home directory's file. Same
   * rules as that file, but never created: a missing file is KINDRED_ERR_COOKIE_FILE.
   */
  readonly cookieFile?: string;
  /** The environment to read `KINDRED_COOKIE` from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The home directory holding `.kindred.cookie`; defaults to `os.homedir()`. */
  readonly home?: string;
}

/**
 * Checks cookie text exactly as Erlang's auth.erl (`check_cookie/2`, OTP 25) does, and returns the cookie.
 * The cookie is the longest prefix of printable ASCII (32-126, so spaces inside or before the line end are kept);
 * what follows may only be CR, LF and spaces (a trailing newline is stripped); anything else is
 * "Bad characters in cookie", and an empty cookie is "Too short cookie string". Checked against `erl`:
 * `"ab c \n"` gives `'ab c '`, `"ab\ncd"` and `"ab\t\n"` are bad, `"\n"` is too short.
 *
 * @param text - the raw cookie (file content, environment value or option)
 * @param origin - where it came from, for the message (`KINDRED_COOKIE`, a file path, `--cookie`)
 * @throws KindredError `KINDRED_ERR_COOKIE_BAD_CHARACTERS` or `KINDRED_ERR_COOKIE_TOO_SHORT`.
 */
export function checkCookie(text: string, origin: string): string {
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c < 32 || c > 126) break;
    end++;
  }
  for (let i = end; i < text.length; i++) {
    const c = text[i];
    if (c !== '\n' && c !== '\r' && c !== ' ') {
      throw new KindredError(
        NODE_IDENTITY_ERRORS.COOKIE_BAD_CHARACTERS,
        `Bad characters in cookie from ${origin}: a cookie is printable ASCII (32-126) on one line; ` +
          `character ${JSON.stringify(c)} at position ${i} is not allowed`,
        { details: { origin, position: i } },
      );
    }
  }
  if (end === 0) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.COOKIE_TOO_SHORT,
      `Too short cookie string from ${origin}: the cookie is empty; put at least one printable character in it`,
      { details: { origin } },
    );
  }
  return text.slice(0, end);
}

/**
 * A random cookie as auth.erl makes one: {@link NODE_IDENTITY_DEFAULTS.cookieLength} upper-case letters, from a
 * cryptographic source (auth.erl seeds `rand` from the clock; kindred does better).
 */
export function makeCookie(length: number = NODE_IDENTITY_DEFAULTS.cookieLength): string {
  let cookie = '';
  for (let i = 0; i < length; i++) cookie += String.fromCharCode(randomInt(65, 91));
  return cookie;
}

/**
 * Finds the node's cookie the way Erlang does: the `cookie` option (`-setcookie`), else the `cookieFile` option,
 * else `KINDRED_COOKIE`, else `~/.kindred.cookie` (Erlang's `~/.erlang.cookie`). A missing home file is created with
 * a random 20-letter cookie and mode 0400. A cookie file is checked as auth.erl checks its file (`read_cookie/1`,
 * with `file:raw_read_file_info`, which follows symbolic links): the file a path finally points to must be a regular
 * file whose mode gives group and others nothing (`mode & 0o077 === 0`: 0400 or 0600); a symlink to such a file is
 * fine, which is what a Kubernetes Secret volume holds (`cookie -> ..data/cookie`, the mode being the Secret's
 * `defaultMode` on the target). Every value goes through {@link checkCookie}.
 *
 * @throws KindredError `KINDRED_ERR_COOKIE_BAD_CHARACTERS`, `_TOO_SHORT`, `KINDRED_ERR_COOKIE_FILE_MODE`
 *   ("Cookie file X must be accessible by owner only"), `KINDRED_ERR_COOKIE_FILE_TYPE`, `KINDRED_ERR_COOKIE_FILE`.
 */
export async function loadCookie(options: LoadCookieOptions = {}): Promise<LoadedCookie> {
  if (options.cookie !== undefined)
    return { cookie: checkCookie(options.cookie, '--cookie'), source: 'option' };
  if (options.cookieFile !== undefined) return readCookieFile(options.cookieFile, false);
  const env = options.env ?? process.env;
  const fromEnv = env[NODE_IDENTITY_ENV.cookie];
  if (fromEnv !== undefined) {
    return { cookie: checkCookie(fromEnv, NODE_IDENTITY_ENV.cookie), source: 'env' };
  }
  const path = join(options.home ?? homedir(), NODE_IDENTITY_DEFAULTS.cookieFileName);
  return readCookieFile(path, true);
}

async function readCookieFile(path: string, createIfMissing: boolean): Promise<LoadedCookie> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    // stat, not lstat: auth.erl follows symbolic links, and a Kubernetes Secret volume's files are symlinks.
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && createIfMissing) return createCookieFile(path);
    throw fileError(path, 'read', err);
  }
  if (!info.isFile()) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.COOKIE_FILE_TYPE,
      `Cookie file ${path} is not a regular file; remove it or set ${NODE_IDENTITY_ENV.cookie}`,
      { details: { path } },
    );
  }
  if ((info.mode & 0o077) !== 0) {
    throw new KindredError(
      NODE_IDENTITY_ERRORS.COOKIE_FILE_MODE,
      `Cookie file ${path} must be accessible by owner only; run: chmod 400 ${path}`,
      { details: { path, mode: `0${(info.mode & 0o777).toString(8)}` } },
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch (err) {
    throw fileError(path, 'read', err);
  }
  return { cookie: checkCookie(text, path), source: 'file', path };
}

async function createCookieFile(path: string): Promise<LoadedCookie> {
  const cookie = makeCookie();
  try {
    // 'wx' (O_CREAT|O_EXCL): never overwrite a file another process created since the lstat; if one did, read it.
    const handle = await open(path, 'wx', NODE_IDENTITY_DEFAULTS.cookieFileMode);
    try {
      await handle.writeFile(cookie, 'latin1');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readCookieFile(path, false);
    throw fileError(path, 'create', err);
  }
  return { cookie, source: 'created', path };
}

function fileError(path: string, action: 'read' | 'create', err: unknown): KindredError {
  return new KindredError(
    NODE_IDENTITY_ERRORS.COOKIE_FILE,
    `cannot ${action} cookie file ${path}: ${(err as Error).message}; fix its permissions or set ${NODE_IDENTITY_ENV.cookie}`,
    { cause: err, details: { path } },
  );
}
