// Child-process helpers shared by the bench drivers: every process started here is tracked and killed by pid.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

const started = new Set();

/** Kill every child this module started that is still running (by its own pid, never by name). */
export function killAll() {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  started.clear();
}

process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Start a child process; its stdout is parsed line by line. Returns helpers to wait for a line matching a regex,
 * and to stop it.
 */
export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  started.add(child);
  const lines = [];
  const waiters = [];
  let stderr = '';
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) w.check(line);
      i = buf.indexOf('\n');
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    started.delete(child);
    for (const w of [...waiters])
      w.fail(
        new Error(
          `${cmd} exited (${code ?? signal}) before printing the expected line; stderr: ${stderr.trim() || '(empty)'}; stdout tail: ${lines.slice(-5).join(' | ')}`,
        ),
      );
    return { code, signal };
  });
  return {
    child,
    exited,
    lines,
    get stderr() {
      return stderr;
    },
    /** Resolve with the match of the first stdout line (past or future) matching `re`. */
    waitFor(re, timeoutMs, what = String(re)) {
      for (const line of lines) {
        const m = re.exec(line);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          remove();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} from ${cmd}; stderr: ${stderr.trim() || '(empty)'}`,
            ),
          );
        }, timeoutMs);
        const w = {
          check(line) {
            const m = re.exec(line);
            if (m) {
              remove();
              resolve(m);
            }
          },
          fail(err) {
            remove();
            reject(err);
          },
        };
        const remove = () => {
          clearTimeout(timer);
          const k = waiters.indexOf(w);
          if (k >= 0) waiters.splice(k, 1);
        };
        waiters.push(w);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Short random id for unique node names per run. */
export function runId() {
  return Math.random().toString(36).slice(2, 8);
}
