import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The release path as a user meets it (issue 17): scripts/pack.mjs packs every package with pnpm, plain npm installs
// the tarballs into an empty folder, a strict TypeScript consumer (skipLibCheck false) compiles against the .d.ts
// they ship, and its program runs two nodes on loopback. Needs the built packages (`pnpm run build`) and npm; npm
// takes ws, msgpackr, pino and @types/* from its cache when it can (--prefer-offline), else from the registry.
const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const work = mkdtempSync(join(tmpdir(), 'kindred-pack-'));
const consumer = join(work, 'consumer');
const PACKAGES = [
  'beam',
  'cli',
  'discovery',
  'dns',
  'interface',
  'metrics',
  'node-identity',
  'runtime',
  'transport',
];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed packages', () => {
  it('install with npm into an empty folder, compile strictly and run two nodes', async () => {
    const packed = await run(process.execPath, [join(root, 'scripts/pack.mjs'), join(work, 'tarballs')]);
    const tarballs = packed.stdout.trim().split('\n');
    expect(tarballs.map((t) => t.replace(/^.*\/kindred-(.*)-\d+\.\d+\.\d+\.tgz$/, '$1')).sort()).toEqual(
      PACKAGES,
    );

    cpSync(join(root, 'test/packaging/fixtures/consumer'), consumer, { recursive: true });
    writeFileSync(
      join(consumer, 'package.json'),
      '{ "name": "consumer", "private": true, "type": "module" }\n',
    );
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...tarballs,
        '@types/node@^20.19.0',
      ],
      { cwd: consumer },
    );
    for (const name of PACKAGES) {
      const manifest = readFileSync(join(consumer, 'node_modules/@kindred', name, 'package.json'), 'utf8');
      expect(manifest).not.toContain('workspace:');
      expect(readFileSync(join(consumer, 'node_modules/@kindred', name, 'LICENSE'), 'utf8')).toContain(
        'Apache License',
      );
    }
    // Libraries take any Logger: pino comes only with the CLI, which creates the root logger.
    const runtimeManifest = JSON.parse(
      readFileSync(join(consumer, 'node_modules/@kindred/runtime/package.json'), 'utf8'),
    );
    expect(runtimeManifest.dependencies.pino).toBeUndefined();

    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', consumer]);
    const { stdout } = await run(process.execPath, [join(consumer, 'out/main.js')], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({
      nodes: ['b@127.0.0.1'],
      sent: { hello: 'from a' },
      reply: { doubled: 42 },
      host: '127.0.0.1',
      isError: true,
    });

    const cliVersion = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version;
    const version = await run(join(consumer, 'node_modules/.bin/kindred'), ['--version'], { cwd: consumer });
    expect(version.stdout).toBe(`kindred ${cliVersion}\n`);
  }, 300_000);
});
