import { describe, expect, it } from 'vitest';
import { COOKIE_ARGV_WARNING, cookieChoice, cookieHelp } from '../src/cookie-options.js';

describe('cookieChoice', () => {
  it('warns when --cookie is used, and passes the cookie on', () => {
    const warnings: string[] = [];
    expect(cookieChoice({ cookie: 'c' }, (w) => warnings.push(w))).toEqual({ cookie: 'c' });
    expect(warnings).toEqual([COOKIE_ARGV_WARNING]);
    expect(COOKIE_ARGV_WARNING).toMatch(/every local user can read it.*--cookie-file PATH or KINDRED_COOKIE/);
  });

  it('takes --cookie-file without a warning, and nothing when neither is given', () => {
    const warnings: string[] = [];
    expect(cookieChoice({ 'cookie-file': '/run/secrets/cookie' }, (w) => warnings.push(w))).toEqual({
      cookieFile: '/run/secrets/cookie',
    });
    expect(cookieChoice({}, (w) => warnings.push(w))).toEqual({});
    expect(warnings).toEqual([]);
  });

  it('refuses both at once and an empty path as usage errors', () => {
    const none = () => {};
    expect(() => cookieChoice({ cookie: 'c', 'cookie-file': '/x' }, none)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_USAGE', message: expect.stringMatching(/not both/) }),
    );
    expect(() => cookieChoice({ 'cookie-file': '' }, none)).toThrow(
      expect.objectContaining({ code: 'KINDRED_ERR_USAGE' }),
    );
  });

  it('aligns its help lines on the given column', () => {
    const lines = cookieHelp(22, 'KINDRED_COOKIE').split('\n');
    expect(lines[0]).toMatch(/^ {2}--cookie-file PATH {2}read the cookie/);
    for (const l of lines) expect(l.slice(0, 22).trim() === '' || l.startsWith('  --')).toBe(true);
    expect(lines.every((l) => l.length <= 118)).toBe(true);
  });
});
