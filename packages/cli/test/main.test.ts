import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { main } from '../src/main.js';
import { CLI_VERSION } from '../src/version.js';
import { captureIO } from './support.js';

describe('kindred main', () => {
  it('prints usage on --help and exits 0', async () => {
    const io = captureIO();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: kindred <command>');
  });

  it('exits 2 with a hint on an unknown command', async () => {
    const io = captureIO();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err()).toContain("Run 'kindred --help'");
  });

  it('exits 2 with usage when no command is given', async () => {
    const io = captureIO();
    expect(await main([], io)).toBe(2);
    expect(io.err()).toContain('Usage:');
  });

  it('prints the version on --version, -V, and after any command', async () => {
    for (const argv of [['--version'], ['-V'], ['start', '--version'], ['ping', 'x@h', '-V']]) {
      const io = captureIO();
      expect(await main(argv, io)).toBe(0);
      expect(io.out()).toBe(`kindred ${CLI_VERSION}\n`);
    }
  });

  it("prints a command's help on 'help <cmd>', the same as '<cmd> --help', with the common options", async () => {
    for (const command of COMMANDS) {
      const viaHelp = captureIO();
      const viaFlag = captureIO();
      expect(await main(['help', command.name], viaHelp)).toBe(0);
      expect(await main([command.name, '--help'], viaFlag)).toBe(0);
      expect(viaHelp.out()).toBe(viaFlag.out());
      expect(viaHelp.out()).toContain(command.help.trim());
      expect(viaHelp.out()).toContain('--output json');
      expect(viaHelp.out()).toContain('--version');
    }
    const top = captureIO();
    expect(await main(['help'], top)).toBe(0);
    expect(top.out()).toContain('Usage: kindred <command>');
  });

  it('suggests the command meant for an unknown one, also after help', async () => {
    const io = captureIO();
    expect(await main(['stat'], io)).toBe(2);
    expect(io.err()).toBe(
      "kindred: unknown command 'stat'. Did you mean 'start'? Run 'kindred --help' for the list.\n",
    );
    const help = captureIO();
    expect(await main(['help', 'pign'], help)).toBe(2);
    expect(help.err()).toContain("Did you mean 'ping'?");
    const far = captureIO();
    expect(await main(['frobnicate'], far)).toBe(2);
    expect(far.err()).not.toContain('Did you mean');
  });

  it('suggests the option meant for an unknown one', async () => {
    const io = captureIO();
    expect(await main(['whoami', '--sname', 'a', '--jsn'], io)).toBe(2);
    expect(io.err()).toContain("Unknown option '--jsn'. Did you mean --json?");
  });

  it('takes --output json for --json', async () => {
    const io = captureIO({ KINDRED_NODE_NAME: 'app@h.example.com' });
    expect(await main(['whoami', '--output', 'json'], io)).toBe(0);
    expect(io.lines()).toEqual([expect.objectContaining({ node: 'app@h.example.com', source: 'env' })]);
  });

  it('reports a bad KINDRED_LOG_LEVEL with KINDRED_ERR_BAD_ENV and exit 2, before starting anything', async () => {
    const io = captureIO({ KINDRED_LOG_LEVEL: 'bogus' });
    expect(
      await main(['start', '--name', 'n@127.0.0.1', '--cookie-file', '/nonexistent', '--port', '0'], io),
    ).toBe(2);
    expect(io.err()).toBe(
      'kindred start: KINDRED_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "bogus" (KINDRED_ERR_BAD_ENV)\n',
    );
  });

  it('names the variable of a bad KINDRED_PORT, KINDRED_DISCOVERY or KINDRED_NODE_NAME', async () => {
    const port = captureIO({ KINDRED_PORT: '99999' });
    expect(await main(['ping', 'x@127.0.0.1', '--sname', 'p'], port)).toBe(2);
    expect(port.err()).toContain(
      'KINDRED_PORT must be a port number 1-65535, got "99999" (KINDRED_ERR_BAD_ENV)',
    );
    const discovery = captureIO({ KINDRED_DISCOVERY: 'bogus:x' });
    expect(await main(['discover'], discovery)).toBe(2);
    expect(discovery.err()).toMatch(/^kindred discover: KINDRED_DISCOVERY: .*\(KINDRED_ERR_BAD_ENV\)\n$/);
    const name = captureIO({ KINDRED_NODE_NAME: 'no-at-sign' });
    expect(await main(['whoami'], name)).toBe(1);
    expect(name.err()).toMatch(/^kindred whoami: KINDRED_NODE_NAME: .*\(KINDRED_ERR_NODE_NAME_NO_AT\)\n$/);
  });
});
