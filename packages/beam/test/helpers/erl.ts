// Real `epmd` and `erl` (Debian's erlang-base) for the integration tests: a private epmd on a free port (never the
// system one on 4369; every erl gets ERL_EPMD_PORT), and an erl driven line by line through its stdin.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort, until } from '@kindred/test-support';
import { EpmdClient } from '../../src/index.js';

/** A short random id for names and cookies of one run. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

/** A child process whose output lines are kept, with a way to wait for one. */
export class Proc {
  readonly lines: string[] = [];
  exited = false;
  readonly #child: ChildProcess;
  #partial = '';

  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.#child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer): void => {
      const text = this.#partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    this.#child.stdout?.on('data', onData);
    this.#child.stderr?.on('data', onData);
    this.#child.on('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  write(text: string): void {
    this.#child.stdin?.write(text);
  }

  /** Waits for a line matching `re` after index `from`; returns its match. */
  async waitFor(re: RegExp, timeoutMs = 20_000, from = 0): Promise<RegExpMatchArray> {
    let m: RegExpMatchArray | null = null;
    await until(
      () => {
        for (let i = from; i < this.lines.length; i++) {
          m = (this.lines[i] as string).match(re);
          if (m !== null) return true;
        }
        if (this.exited) throw new Error(`process exited before ${re}; output:\n${this.lines.join('\n')}`);
        return false;
      },
      { timeoutMs, intervalMs: 20 },
    );
    return m as unknown as RegExpMatchArray;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.#child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.#child.kill('SIGKILL');
    await until(() => this.exited, { timeoutMs: 5_000, intervalMs: 20 });
  }
}

/** A private epmd in the foreground on a free loopback port. */
export async function startEpmd(): Promise<{ port: number; proc: Proc; env: NodeJS.ProcessEnv }> {
  const port = await freePort();
  const proc = new Proc('epmd', ['-port', String(port), '-address', '127.0.0.1'], process.env);
  const client = new EpmdClient({ port, requestTimeoutMs: 1_000 });
  await until(
    async () => {
      try {
        await client.names('127.0.0.1');
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return { port, proc, env: { ...process.env, ERL_EPMD_PORT: String(port) } };
}

// Reads Erlang expressions from stdin, one per line, and prints `RESULT <term>` (or `ERROR <class> <reason>`).
const LOOP =
  'L = fun Loop(N) -> case io:get_line("") of eof -> halt(); Line -> ' +
  'R = try {ok, Ts, _} = erl_scan:string(Line), {ok, Es} = erl_parse:parse_exprs(Ts), ' +
  '{value, V, _} = erl_eval:exprs(Es, []), {ok, V} catch C:E -> {C, E} end, ' +
  'case R of {ok, V2} -> io:format("RESULT ~w ~w~n", [N, V2]); {C2, E2} -> io:format("ERROR ~w ~w ~w~n", [N, C2, E2]) end, ' +
  'Loop(N + 1) end end, io:format("READY~n"), L(0).';

/** An erl node driven by expressions. */
export class Erl {
  readonly proc: Proc;
  readonly name: string;
  #n = 0;

  private constructor(proc: Proc, name: string) {
    this.proc = proc;
    this.name = name;
  }

  /** Starts `erl -name <name>` with the cookie, ERL_EPMD_PORT from `env`, and `extra` arguments. */
  static async start(
    name: string,
    cookie: string,
    env: NodeJS.ProcessEnv,
    extra: string[] = [],
  ): Promise<Erl> {
    const nameFlag = name.split('@')[1]?.includes('.') === true ? '-name' : '-sname';
    const proc = new Proc(
      'erl',
      [nameFlag, name, '-setcookie', cookie, '-noshell', '-start_epmd', 'false', ...extra, '-eval', LOOP],
      env,
    );
    await proc.waitFor(/^READY$/, 30_000);
    return new Erl(proc, name);
  }

  /** Evaluates one expression (no trailing dot needed) and returns the printed result (`~w`). */
  async eval(expr: string, timeoutMs = 30_000): Promise<string> {
    const n = this.#n++;
    const from = this.proc.lines.length;
    this.proc.write(`${expr.replace(/\n/g, ' ')}.\n`);
    const m = await this.proc.waitFor(new RegExp(`^(RESULT|ERROR) ${n} (.*)$`), timeoutMs, from);
    if (m[1] === 'ERROR') throw new Error(`erl: ${m[2]}`);
    return m[2] as string;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
