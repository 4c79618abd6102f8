// A real `erl` as the codec's oracle: one process per test file, serving many requests over stdin/stdout with
// {packet, 4} framing (fixtures/etf_oracle.erl), so a whole corpus and hundreds of property runs cost one VM start.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'etf_oracle.erl');

/** A running erl that re-encodes terms (`$E`) and hands out its corpus (`$C`). */
export class ErlOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dir: string;
  readonly #waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  #pending = Buffer.alloc(0);
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams, dir: string) {
    this.#child = child;
    this.#dir = dir;
    child.stdout.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= 4) {
        const n = this.#pending.readUInt32BE(0);
        if (this.#pending.length < 4 + n) break;
        const frame = this.#pending.subarray(4, 4 + n);
        this.#pending = this.#pending.subarray(4 + n);
        this.#waiting.shift()?.resolve(Buffer.from(frame));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      for (const w of this.#waiting.splice(0)) w.reject(new Error(`erl exited (${code}): ${this.#stderr}`));
    });
  }

  /** Compiles the oracle module and starts one distributed erl (a real node name, so pids carry a creation). */
  static start(): ErlOracle {
    const dir = mkdtempSync(join(tmpdir(), 'kindred-etf-'));
    execFileSync('erlc', ['-o', dir, SOURCE], { stdio: 'pipe' });
    const name = `etf_${process.pid}_${Math.random().toString(36).slice(2, 8)}@127.0.0.1`;
    // -erl_epmd_port 0 with -start_epmd false: no epmd is touched or started; the node listens on an ephemeral
    // loopback port only.
    const child = spawn(
      'erl',
      [
        '-noshell',
        '-noinput',
        '-name',
        name,
        '-setcookie',
        'etf',
        '-start_epmd',
        'false',
        '-erl_epmd_port',
        '0',
        '-kernel',
        'inet_dist_use_interface',
        '{127,0,0,1}',
        '-pa',
        dir,
        '-s',
        'etf_oracle',
        'main',
      ],
      { stdio: 'pipe' },
    );
    return new ErlOracle(child, dir);
  }

  #request(payload: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      const head = Buffer.alloc(4);
      head.writeUInt32BE(payload.length);
      this.#child.stdin.write(Buffer.concat([head, payload]));
    });
  }

  /** erl's `term_to_binary(binary_to_term(Etf), [{minor_version, 2}])`, or an Error carrying erl's refusal. */
  async reencode(etf: Uint8Array): Promise<Buffer> {
    const reply = await this.#request(Buffer.concat([Buffer.from('E'), etf]));
    if (reply[0] !== 0) throw new Error(`erl refused the term: ${reply.subarray(1).toString()}`);
    return reply.subarray(1);
  }

  /** The corpus: `[{Label, V2, V1, V0, Compressed}]` as one versioned term. */
  async corpus(): Promise<Buffer> {
    const reply = await this.#request(Buffer.from('C'));
    return reply.subarray(1);
  }

  /** Closes stdin (erl halts) and removes the compiled module. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((r) => this.#child.once('exit', r));
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
