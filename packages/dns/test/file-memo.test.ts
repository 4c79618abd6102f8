import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileMemo } from '../src/file-memo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function counter() {
  let reads = 0;
  return { read: async () => `read ${++reads}`, reads: () => reads };
}

describe('FileMemo', () => {
  it('reads an unchanged file once, and again when it changes, when it is fresh, or for another variant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindred-file-memo-'));
    dirs.push(dir);
    const path = join(dir, 'hosts');
    writeFileSync(path, '10.0.0.1 a\n');
    const memo = new FileMemo<string>();
    const c = counter();
    // Written within the last second: a second write in the same timestamp tick could look unchanged, so it is
    // read every time.
    await memo.get(path, '', c.read);
    await memo.get(path, '', c.read);
    expect(c.reads()).toBe(2);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await memo.get(path, '', c.read)).toBe('read 3');
    expect(await memo.get(path, '', c.read)).toBe('read 3');
    expect(await memo.get(path, 'other-host', c.read)).toBe('read 4');
    writeFileSync(path, '10.0.0.2 a\n'); // same size, new content
    expect(await memo.get(path, 'other-host', c.read)).toBe('read 5');
  });

  it('reads a missing file every time, so the reader decides what a missing file means', async () => {
    const memo = new FileMemo<string>();
    const c = counter();
    expect(await memo.get('/nonexistent/kindred/hosts', '', c.read)).toBe('read 1');
    expect(await memo.get('/nonexistent/kindred/hosts', '', c.read)).toBe('read 2');
  });
});
