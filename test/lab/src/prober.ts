import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { KindredError } from '@kindred/dns';
import { LAB_ERRORS } from './errors.js';
import type { LabNetwork } from './netns.js';

/** An HTTP answer fetched from inside the lab. */
export interface ProbeResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Body, UTF-8. */
  readonly body: string;
}

// The agent runs in the router namespace (the "node" kubelet runs on), one process for every probe: spawning a
// process per probe would cost more CPU than the pods. One JSON request per stdin line, one answer per stdout line.
const AGENT_SCRIPT = `
const http = require('node:http');
const net = require('node:net');
const rl = require('node:readline').createInterface({ input: process.stdin });
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
rl.on('line', (line) => {
  let req;
  try { req = JSON.parse(line); } catch { return; }
  if (req.kind === 'tcp') {
    const s = net.connect({ host: req.host, port: req.port });
    const t = setTimeout(() => { s.destroy(); reply({ id: req.id, error: 'ETIMEDOUT' }); }, req.timeoutMs);
    s.on('connect', () => { clearTimeout(t); s.destroy(); reply({ id: req.id, status: 0, body: '' }); });
    s.on('error', (e) => { clearTimeout(t); reply({ id: req.id, error: e.code || e.message }); });
    return;
  }
  const r = http.get(req.url, { agent: false, timeout: req.timeoutMs }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => reply({ id: req.id, status: res.statusCode, body }));
    res.on('error', (e) => reply({ id: req.id, error: e.code || e.message }));
  });
  r.on('timeout', () => r.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  r.on('error', (e) => reply({ id: req.id, error: e.code || e.message }));
});
rl.on('close', () => process.exit(0));
`;

interface Pending {
  resolve(value: ProbeResponse): void;
  reject(err: Error): void;
}

/**
 * HTTP GETs and TCP connects into the lab from its router namespace, the way kubelet probes pods from the node.
 * Used for readiness probes and by tests to read a pod's HTTP API.
 */
export class Prober {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** Starts the agent process in `network`'s router namespace. */
  constructor(network: LabNetwork) {
    this.child = network.spawnInRouter(['node', '-e', AGENT_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      let msg: { id: number; status?: number; body?: string; error?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) {
        p.reject(
          new KindredError(LAB_ERRORS.LAB_PROBE_FAILED, `probe failed: ${msg.error}`, {
            details: { reason: msg.error },
          }),
        );
      } else {
        p.resolve({ status: msg.status ?? 0, body: msg.body ?? '' });
      }
    });
    this.child.on('exit', () => this.failAll('the probe agent exited'));
    this.child.stdin!.on('error', () => {});
  }

  private failAll(reason: string): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new KindredError(LAB_ERRORS.LAB_PROBE_FAILED, reason));
    this.pending.clear();
  }

  private request(body: Record<string, unknown>): Promise<ProbeResponse> {
    if (this.closed)
      return Promise.reject(new KindredError(LAB_ERRORS.LAB_PROBE_FAILED, 'the prober is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  /** GETs `http://<address>:<port><path>`; rejects with KINDRED_ERR_LAB_PROBE_FAILED on a network error. */
  get(address: string, port: number, path: string, timeoutMs = 1000): Promise<ProbeResponse> {
    return this.request({ kind: 'http', url: `http://${address}:${port}${path}`, timeoutMs });
  }

  /** Resolves when a TCP connect to `address:port` succeeds; rejects otherwise. */
  async tcp(address: string, port: number, timeoutMs = 1000): Promise<void> {
    await this.request({ kind: 'tcp', host: address, port, timeoutMs });
  }

  /** Stops the agent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin!.end();
    this.child.kill('SIGKILL');
  }
}
