import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTransport } from '@kindred/transport';
import { expect } from 'vitest';
import {
  connectHostile,
  type HostileSession,
  MessageBuilder,
  versionFromEnv,
  type WirePid,
  type WireRef,
  wireProfile,
} from '../src/index.js';

/**
 * The node under attack, as a child process (so a crash, a hang or an OOM is seen from outside), and the checks run
 * after every attack: still alive, a real transport client's ping within 1 s, resident memory back near baseline.
 */

const kindredBin = fileURLToPath(new URL('../../../packages/cli/bin/kindred.js', import.meta.url));
const builtCli = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/victim.mjs', import.meta.url));

/** The bound: a ping answered within this after each attack. */
export const PING_BOUND_MS = 1000;
/** Memory may stay this far above the baseline once the node had time to collect (generous: V8 keeps some heap). */
export const RSS_SLACK_KB = 150 * 1024;
/** How long the node gets to give memory back after an attack. */
const RSS_SETTLE_MS = 30_000;

const unique = () => randomBytes(4).toString('hex');

/** A node process under attack. */
export class Victim {
  readonly child: ChildProcess;
  readonly cookie: string;
  readonly name: string;
  port = 0;
  stderr = '';
  baselineKb = 0;
  readonly exited: Promise<number | null>;

  private constructor(kind: 'cli' | 'fixture') {
    this.cookie = `hostile-${unique()}`;
    const base = `victim${unique()}`;
    this.name = `${base}@127.0.0.1`;
    const args =
      kind === 'cli'
        ? [kindredBin, 'start', '--json', '--name', this.name, '--cookie', this.cookie, '--port', '0']
        : [fixture, this.name, this.cookie];
    this.child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, KINDRED_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /**
   * Starts `kindred start` (the built CLI), or with `fixture` a runtime node with a never-reading `sink` and an rpc
   * handler `call_me` (fixtures/victim.mjs); resolves once it listens, with its baseline memory measured.
   */
  static async start(kind: 'cli' | 'fixture' = 'cli'): Promise<Victim> {
    if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: build first (pnpm run build)`);
    const v = new Victim(kind);
    const started = await new Promise<{ port: number }>((resolve, reject) => {
      let buf = '';
      v.child.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n')) {
          if (line.includes('"started"')) resolve(JSON.parse(line) as { port: number });
        }
      });
      v.child.once('exit', (code) => reject(new Error(`victim exited ${code}: ${v.stderr}`)));
    });
    v.port = started.port;
    await v.ping(); // warm up the accept path before measuring
    v.baselineKb = v.rssKb();
    return v;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** VmRSS from /proc, in kB. */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!m) throw new Error('no VmRSS');
    return Number(m[1]);
  }

  /** Connects a real transport client (a fresh name each time), like `kindred ping`; resolves with the time taken. */
  async ping(timeoutMs = 5000): Promise<number> {
    const t = createTransport({
      self: { node: `ping-${unique()}@127.0.0.1`, mode: 'longnames' },
      cookie: this.cookie,
      setupTimeoutMs: timeoutMs,
    });
    const t0 = performance.now();
    try {
      await t.connect(this.name, { port: this.port });
      return performance.now() - t0;
    } finally {
      await t.close();
    }
  }

  /** Opens a hostile session to the node (protocol version from KINDRED_HOSTILE_VERSION, default 2). */
  async session(): Promise<HostileSession> {
    return connectHostile({
      port: this.port,
      name: `hostile${unique()}@127.0.0.1`,
      target: this.name,
      cookie: this.cookie,
      profile: wireProfile(versionFromEnv()),
    });
  }

  /**
   * The "Done when" check: the process is alive, answers a ping within {@link PING_BOUND_MS}, and its memory comes
   * back within {@link RSS_SLACK_KB} of the baseline (pinging now and then while it settles).
   */
  async expectHealthy(): Promise<void> {
    expect(this.alive, `the node died: ${this.stderr}`).toBe(true);
    const ms = await this.ping(PING_BOUND_MS * 3).catch((err: unknown) => {
      throw new Error(`the node did not answer a ping: ${(err as Error).message}; stderr: ${this.stderr}`);
    });
    expect(ms, 'ping time (ms)').toBeLessThan(PING_BOUND_MS);
    const deadline = Date.now() + RSS_SETTLE_MS;
    let rss = this.rssKb();
    while (rss > this.baselineKb + RSS_SLACK_KB && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      await this.ping(PING_BOUND_MS * 3).catch(() => {});
      rss = this.rssKb();
    }
    expect(rss, `RSS (kB), baseline ${this.baselineKb} kB`).toBeLessThan(this.baselineKb + RSS_SLACK_KB);
  }

  /** Kills the process (SIGKILL after SIGTERM had 2 s). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(t);
  }
}

/** A close code, or `open` when the session was still open after `ms` (the message was dropped, not fatal). */
export async function outcome(s: HostileSession, ms = 5000): Promise<number | 'open'> {
  const c = await s.waitClosed(ms);
  return c === undefined ? 'open' : c.code;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Proves the connection still works end to end: a call to `rex` must be answered (a `$gen_reply` with our ref).
 * Resolves false when the connection closed or nothing came back in `ms`.
 */
export async function probe(s: HostileSession, ms = 3000): Promise<boolean> {
  if (!s.open) return false;
  const b = new MessageBuilder(s.profile, s.self);
  const word = Math.floor(Math.random() * 0xffffffff);
  await s.send(b.call('rex', { handler: 'no_such_handler', args: [] }, b.pid(7), b.ref([word, 1, 2])));
  const reply = await s.waitFor((m) => {
    const payload = Array.isArray(m) ? m[1] : undefined;
    return (
      isObj(payload) &&
      payload.type === '$gen_reply' &&
      (payload.ref as WireRef | undefined)?.words[0] === word
    );
  }, ms);
  return reply !== undefined;
}

/** The control tuple of each message received (`[op, ...]`), for finding what the node sent. */
export function controls(s: HostileSession): unknown[][] {
  return s.received.filter((m) => Array.isArray(m) && Array.isArray(m[0])).map((m) => (m as unknown[][])[0]!);
}

export type { WirePid };

/** Sends each payload (tagged), giving up after `ms` in all (a node that stopped reading holds the socket). */
export async function sendAll(
  s: HostileSession,
  payloads: readonly Uint8Array[],
  ms = 20_000,
): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    t = setTimeout(resolve, ms);
  });
  const sending = (async () => {
    for (const p of payloads) {
      if (!s.open) return;
      await s.send(p);
    }
  })();
  await Promise.race([sending, timeout]);
  clearTimeout(t);
}

/** Frame bytes just under the node's 8 MiB message limit, room left for the tag. */
export const NEAR_MAX_FRAME = 8 * 1024 * 1024 - 64;
