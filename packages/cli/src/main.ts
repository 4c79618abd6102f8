/**
 * Runs the kindred command line with the given arguments and resolves to the exit code.
 * Exit codes: 0 success, 1 the command ran and failed, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write('Usage: kindred <command> [options]\n');
    return argv.length === 0 ? 2 : 0;
  }
  process.stderr.write(`kindred: unknown command '${argv[0]}'. Run 'kindred --help' for the list.\n`);
  return 2;
}
