#!/usr/bin/env node
// Thin launcher so `pnpm lab` works from the built lab.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
