import { UsageError } from './command.js';

/** The `--cookie` and `--cookie-file` options, shared by every command that needs the cookie (parseArgs specs). */
export const COOKIE_OPTIONS = Object.freeze({
  cookie: { type: 'string' },
  'cookie-file': { type: 'string' },
} as const);

/**
 * What `--cookie` costs, said once for the warning and the help texts: a process's arguments are world-readable on
 * Linux (`ps`, `/proc/PID/cmdline` is mode 0444), while its environment (`/proc/PID/environ`, 0400) and a 0400 file
 * are readable by its own user and root only.
 */
export const COOKIE_ARGV_WARNING =
  '--cookie puts the cookie on the command line, where every local user can read it (ps, /proc/PID/cmdline); ' +
  'use --cookie-file PATH or KINDRED_COOKIE instead';

/**
 * The help lines of both options, the description starting at column `column` (the command's own layout).
 * @param fallback - what the command uses when neither option is given
 */
export function cookieHelp(column: number, fallback: string): string {
  const row = (flag: string, lines: string[]) =>
    lines.map((text, i) => `${(i === 0 ? `  ${flag}` : '').padEnd(column)}${text}`).join('\n');
  return [
    row('--cookie-file PATH', [
      "read the cookie from PATH (Erlang's cookie file rules: symlinks are followed, so a",
      'Kubernetes Secret volume works; the file must be regular, mode 0400 or 0600)',
    ]),
    row('--cookie C', [
      'the cookie itself: every local user can read it (ps, /proc/PID/cmdline), so a',
      'warning is printed; prefer --cookie-file or KINDRED_COOKIE',
      `(neither given: ${fallback})`,
    ]),
  ].join('\n');
}

/** What the command line says about the cookie, as `loadCookie` options (none: its own defaults apply). */
export interface CookieChoice {
  readonly cookie?: string;
  readonly cookieFile?: string;
}

/**
 * Reads `--cookie`/`--cookie-file` from parsed options: both at once is a usage error; `--cookie` is accepted with
 * {@link COOKIE_ARGV_WARNING} passed to `warn` (stderr, or the command's logger).
 */
export function cookieChoice(
  values: { readonly cookie?: string | undefined; readonly 'cookie-file'?: string | undefined },
  warn: (message: string) => void,
): CookieChoice {
  const cookie = values.cookie;
  const cookieFile = values['cookie-file'];
  if (cookie !== undefined && cookieFile !== undefined) {
    throw new UsageError('give either --cookie or --cookie-file, not both');
  }
  if (cookieFile !== undefined) {
    if (cookieFile === '') throw new UsageError('--cookie-file needs a path');
    return { cookieFile };
  }
  if (cookie !== undefined) {
    warn(COOKIE_ARGV_WARNING);
    return { cookie };
  }
  return {};
}
