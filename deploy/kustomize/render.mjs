#!/usr/bin/env node
// Renders the kustomize kit with kubectl's built-in kustomize, and writes deploy/k8s, the rendered example (overlay
// fqdn, the Secret left out: its value is yours to make). `node deploy/kustomize/render.mjs` rewrites deploy/k8s;
// `--check` exits 1 when deploy/k8s is not what the kit renders. kubectl comes from scripts/kubectl.sh (KUBECTL=...
// picks another). Exit codes: 0 done (or up to date), 1 out of date or a step failed, 2 bad command line.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

/** The kit's directory (deploy/kustomize). */
export const KIT_DIR = here;
/** Where the rendered example lives. */
export const EXAMPLE_DIR = join(root, 'deploy', 'k8s');
/** The overlay the example is rendered from. */
export const EXAMPLE_OVERLAY = 'fqdn';
/** The cookie a render outside a real deployment uses; never a real one. */
export const PLACEHOLDER_COOKIE = 'placeholder-cookie-for-rendering-only';

/** The path of a kubectl with kustomize v5 (scripts/kubectl.sh, which fetches Debian's when needed). */
export async function kubectlPath() {
  const { stdout } = await run('bash', [join(root, 'scripts', 'kubectl.sh')], { maxBuffer: 1 << 20 });
  return stdout.trim();
}

/**
 * Renders `overlay` (a directory name under overlays/) in a scratch copy of the kit whose cookie file is
 * {@link PLACEHOLDER_COOKIE} (a real cookie of yours is never read). With `namePrefix`/`nameSuffix`/`namespace`,
 * the overlay is used as a base by a kustomization that sets them, as an adopting team's own overlay would; with
 * `components`, a kustomization above that adds them (components/tls must see the final names).
 * Resolves to kubectl's output text.
 */
export async function renderOverlay(overlay, options = {}) {
  const kubectl = options.kubectl ?? (await kubectlPath());
  const dir = await mkdtemp(join(tmpdir(), 'kindred-kustomize-'));
  try {
    await cp(KIT_DIR, join(dir, 'kit'), {
      recursive: true,
      filter: (src) =>
        !src.endsWith(join('base', 'cookie')) && !src.endsWith('.mjs') && !src.endsWith('.mts'),
    });
    await writeFile(join(dir, 'kit', 'base', 'cookie'), PLACEHOLDER_COOKIE);
    let target = join(dir, 'kit', 'overlays', overlay);
    const layer = async (name, base, lines) => {
      const head = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:'];
      await mkdir(join(dir, name));
      await writeFile(
        join(dir, name, 'kustomization.yaml'),
        [...head, `  - ${base}`, ...lines, ''].join('\n'),
      );
      return join(dir, name);
    };
    const naming = [];
    for (const key of ['namePrefix', 'nameSuffix', 'namespace']) {
      if (options[key] !== undefined) naming.push(`${key}: ${JSON.stringify(options[key])}`);
    }
    if (naming.length > 0) target = await layer('named', `../kit/overlays/${overlay}`, naming);
    // Components go in a layer above the naming, as components/tls asks.
    if (options.components !== undefined && options.components.length > 0) {
      const base = naming.length > 0 ? '../named' : `../kit/overlays/${overlay}`;
      target = await layer('top', base, [
        'components:',
        ...options.components.map((c) => `  - ../kit/components/${c}`),
      ]);
    }
    const { stdout } = await run(kubectl, ['kustomize', target], { maxBuffer: 16 << 20 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses kubectl's multi-document output into objects (throws on a YAML error). */
export function parseObjects(text) {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS();
    })
    .filter((o) => o !== null);
}

/** The file of deploy/k8s an object of the example goes to; undefined for the Secret (left out). */
function exampleFile(obj) {
  switch (obj.kind) {
    case 'Deployment':
      return 'deployment.yaml';
    case 'Service':
      return obj.spec?.clusterIP === 'None' ? 'service-headless.yaml' : 'service.yaml';
    case 'PodDisruptionBudget':
      return 'pdb.yaml';
    case 'NetworkPolicy':
      return 'networkpolicy.yaml';
    case 'Secret':
      return undefined;
    default:
      throw new Error(`render.mjs: no example file for a ${obj.kind}`);
  }
}

const HEADER = (file) =>
  `# GENERATED from deploy/kustomize (overlay ${EXAMPLE_OVERLAY}) by deploy/kustomize/render.mjs: do not edit, edit the kit\n` +
  `# and run \`node deploy/kustomize/render.mjs\`. The kit's files explain every field. The cookie Secret is not here:\n` +
  `#   kubectl create secret generic simple-web-service-cookie --from-literal=cookie="$(openssl rand -hex 24)"\n` +
  `# (${file})\n`;

/** The rendered example: file name -> text, exactly what deploy/k8s should hold. */
export async function renderExample(options = {}) {
  const text = await renderOverlay(EXAMPLE_OVERLAY, options);
  const files = new Map();
  for (const chunk of text.split(/^---\n/m)) {
    if (chunk.trim() === '') continue;
    const [obj] = parseObjects(chunk);
    const file = exampleFile(obj);
    if (file === undefined) continue;
    if (files.has(file)) throw new Error(`render.mjs: two objects for ${file}`);
    files.set(file, HEADER(file) + chunk);
  }
  return files;
}

async function main(argv) {
  const check = argv.includes('--check');
  if (argv.some((a) => a !== '--check')) {
    process.stderr.write('usage: node deploy/kustomize/render.mjs [--check]\n');
    return 2;
  }
  const files = await renderExample();
  const present = (await readdir(EXAMPLE_DIR)).filter((f) => f.endsWith('.yaml'));
  const stale = [];
  for (const [file, text] of files) {
    const old = await readFile(join(EXAMPLE_DIR, file), 'utf8').catch(() => undefined);
    if (old !== text) stale.push(file);
  }
  const extra = present.filter((f) => !files.has(f));
  if (check) {
    if (stale.length + extra.length === 0) return 0;
    process.stderr.write(
      `deploy/k8s is out of date (${[...stale, ...extra].join(', ')}): run node deploy/kustomize/render.mjs\n`,
    );
    return 1;
  }
  for (const file of stale) await writeFile(join(EXAMPLE_DIR, file), files.get(file));
  for (const file of extra) await unlink(join(EXAMPLE_DIR, file));
  process.stderr.write(`deploy/k8s: ${stale.length} written, ${extra.length} removed\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`render.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
