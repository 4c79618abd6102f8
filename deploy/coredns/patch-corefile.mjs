#!/usr/bin/env node
// Adds `endpoint_pod_names` to every `kubernetes` plugin block of a CoreDNS Corefile, the edit the seed makes by hand
// with `kubectl edit configmap coredns`. With it, a headless service's SRV targets and per-endpoint A records are named
// after the pod (`<pod>.<svc>.<ns>.svc.cluster.local`) instead of the dashed IP, so they match what each pod's
// `hostname -f` prints, and Erlang-style clustering by FQDN works.
//
// A pure function (patchCorefile) so it can be unit tested, and a filter (stdin -> stdout) used by patch-coredns.sh.
// Usage: node patch-corefile.mjs [--check] [--merge-patch] < Corefile
//   (default)      print the patched Corefile
//   --check        print nothing; exit 0 if the Corefile already has endpoint_pod_names, 3 if it needs the patch
//   --merge-patch  print a JSON merge patch for the coredns ConfigMap: {"data":{"Corefile":"..."}}
// Exit codes: 0 ok, 1 the Corefile has no kubernetes plugin (nothing to patch), 2 usage, 3 (--check) patch needed.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The directive this script adds. */
export const DIRECTIVE = 'endpoint_pod_names';

/** Thrown when the Corefile has no `kubernetes` plugin to patch. */
export class CorefileError extends Error {
  /**
   * @param {string} code - KINDRED_ERR_COREFILE_NO_KUBERNETES or KINDRED_ERR_COREFILE_UNPARSABLE
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'CorefileError';
    this.code = code;
  }
}

/** @param {string} line */
function stripComment(line) {
  const hash = line.indexOf('#');
  return hash === -1 ? line : line.slice(0, hash);
}

/** @param {string} line */
function braceDelta(line) {
  const code = stripComment(line);
  let delta = 0;
  for (const ch of code) {
    if (ch === '{') delta += 1;
    else if (ch === '}') delta -= 1;
  }
  return delta;
}

const KUBERNETES_LINE = /^(\s*)kubernetes(\s[^{#]*?)?\s*(\{)?\s*(#.*)?$/;

/**
 * Returns the Corefile with `endpoint_pod_names` inside every `kubernetes` block that lacks it. Idempotent:
 * a Corefile that already has it in every kubernetes block comes back unchanged (byte for byte).
 * A one-line `kubernetes cluster.local` (no block) becomes a block. Everything else is left as it was.
 * @param {string} corefile
 * @returns {{ corefile: string, changed: boolean, blocks: number }}
 */
export function patchCorefile(corefile) {
  if (typeof corefile !== 'string') throw new TypeError('corefile must be a string');
  const eol = corefile.includes('\r\n') ? '\r\n' : '\n';
  const lines = corefile.split(/\r?\n/);
  const out = [];
  let blocks = 0;
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = KUBERNETES_LINE.exec(line);
    if (m === null) {
      out.push(line);
      continue;
    }
    blocks += 1;
    const indent = m[1];
    if (m[3] === undefined) {
      // `kubernetes ZONES` with no block: open one to hold the directive.
      const head = line.replace(/\s*(#.*)?$/, '');
      const comment = m[4] === undefined ? '' : ` ${m[4]}`;
      out.push(`${head} {${comment}`, `${indent}    ${DIRECTIVE}`, `${indent}}`);
      changed = true;
      continue;
    }
    // Collect the block up to its matching closing brace.
    let depth = braceDelta(line);
    if (depth <= 0) {
      throw new CorefileError(
        'KINDRED_ERR_COREFILE_UNPARSABLE',
        `the kubernetes block opens and closes on one line ('${line.trim()}'): put one directive per line, then run this again`,
      );
    }
    const body = [];
    let j = i + 1;
    for (; j < lines.length && depth > 0; j++) {
      depth += braceDelta(lines[j]);
      if (depth > 0) body.push(lines[j]);
    }
    if (depth > 0)
      throw new CorefileError(
        'KINDRED_ERR_COREFILE_UNPARSABLE',
        'the kubernetes block is not closed: check the Corefile braces',
      );
    const closing = lines[j - 1];
    const has = body.some((l) => new RegExp(`^\\s*${DIRECTIVE}\\s*$`).test(stripComment(l)));
    out.push(line, ...body);
    if (!has) {
      const sample = body.find((l) => stripComment(l).trim() !== '');
      const inner = sample === undefined ? `${indent}    ` : (/^\s*/.exec(sample)?.[0] ?? '');
      out.push(`${inner}${DIRECTIVE}`);
      changed = true;
    }
    // A closing brace sharing its line with the last directive (`ttl 30 }`) is kept as it was written.
    if (closing !== undefined && closing !== line) out.push(closing);
    i = j - 1;
  }
  if (blocks === 0) {
    throw new CorefileError(
      'KINDRED_ERR_COREFILE_NO_KUBERNETES',
      'no kubernetes plugin in this Corefile: is this the cluster DNS (kube-system/coredns)? Nothing was changed.',
    );
  }
  return { corefile: changed ? out.join(eol) : corefile, changed, blocks };
}

function main(argv) {
  const known = new Set(['--check', '--merge-patch', '--help']);
  const bad = argv.find((a) => !known.has(a));
  if (bad !== undefined) {
    process.stderr.write(
      `patch-corefile: unknown option '${bad}'. Usage: patch-corefile.mjs [--check] [--merge-patch] < Corefile\n`,
    );
    return 2;
  }
  if (argv.includes('--help')) {
    process.stdout.write('Usage: patch-corefile.mjs [--check] [--merge-patch] < Corefile\n');
    return 0;
  }
  const input = readFileSync(0, 'utf8');
  let result;
  try {
    result = patchCorefile(input);
  } catch (err) {
    if (err instanceof CorefileError) {
      process.stderr.write(`patch-corefile: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
  if (argv.includes('--check')) return result.changed ? 3 : 0;
  if (argv.includes('--merge-patch')) {
    process.stdout.write(`${JSON.stringify({ data: { Corefile: result.corefile } })}\n`);
  } else {
    process.stdout.write(result.corefile);
  }
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
