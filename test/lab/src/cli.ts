/** Entry point of `pnpm lab`. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('lab: not built yet\n');
  return 2;
}
