#!/usr/bin/env node
// Thin launcher so the bin link exists before the first build; the CLI lives in dist/.
import { main } from '../dist/main.js';

const code = await main(process.argv.slice(2));
// Long-running commands close their own handles; a short one must not be held open by a stray timer.
process.exit(code);
