import { readFileSync } from 'node:fs';

/**
 * The version of @kindred/cli, read from its package.json (one directory above both src/ and dist/, so it is the
 * same whether the CLI runs from source in tests or from the built and installed package).
 */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
