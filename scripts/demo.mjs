#!/usr/bin/env node
// The demo. Until the pod lab and the example app exist it shows this machine's node identity.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/bin/kindred.js', import.meta.url));
const r = spawnSync(process.execPath, [bin, '--help'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
