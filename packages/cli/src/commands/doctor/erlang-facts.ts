import { lstat, readlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EpmdClient } from '@kindred/beam';
import { loadCookie, NODE_IDENTITY_DEFAULTS } from '@kindred/node-identity';
import { CLI_DEFAULTS } from '../../defaults.js';
import type { CookieFact, DoctorFacts, EpmdAnswer, ErlangFacts, ErlangInputs } from './facts.js';

/** The addresses of the discovered peers: SRV targets' (fqdn) or the Service's other A records (pod-ip). */
export function peerAddresses(f: DoctorFacts): string[] {
  if (f.naming === 'pod-ip') {
    const records = f.aRecords;
    return records === undefined || 'error' in records
      ? []
      : records.addresses.filter((a) => !f.mine.includes(a));
  }
  return f.peers.flatMap((t) => (t.addresses[0] === undefined ? [] : [t.addresses[0]]));
}

/** A TCP connection to `host:port` opens (a listener is there), within the doctor's ping timeout. */
function listening(host: string, port: number): Promise<EpmdAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: EpmdAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () =>
        done({
          error: new Error(`no answer from ${host}:${port} in ${CLI_DEFAULTS.doctor.pingTimeoutMs} ms`),
        }),
      CLI_DEFAULTS.doctor.pingTimeoutMs,
    );
    socket.once('connect', () => done({ listening: true }));
    socket.once('error', (error) => done({ error }));
  });
}

async function epmdNames(client: EpmdClient, host: string): Promise<EpmdAnswer> {
  try {
    return { names: (await client.names(host)).names };
  } catch (error) {
    return { error };
  }
}

/** How a Kubernetes Secret volume shows a key: a symlink into `..data/`. */
async function secretVolume(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink() && (await readlink(path)).startsWith('..data/');
  } catch {
    return false;
  }
}

/**
 * Where the node's cookie comes from, found as the node finds it (`--cookie`, `--cookie-file`, `KINDRED_COOKIE`,
 * `~/.kindred.cookie`) but never creating the file: a node that would create one shares its cookie with nobody.
 */
async function cookieFact(f: DoctorFacts): Promise<CookieFact> {
  const { inputs } = f;
  const env = inputs.env ?? process.env;
  try {
    if (inputs.cookie !== undefined) {
      return { cookie: inputs.cookie, source: '--cookie', detail: 'given on the command line' };
    }
    const home = inputs.home;
    const path =
      inputs.cookieFile ??
      (env.KINDRED_COOKIE === undefined
        ? join(home ?? homedir(), NODE_IDENTITY_DEFAULTS.cookieFileName)
        : undefined);
    if (path === undefined) {
      const { cookie } = await loadCookie({ env });
      return {
        cookie,
        source: 'KINDRED_COOKIE',
        detail: 'an environment variable (in deploy/, from the Secret through secretKeyRef)',
      };
    }
    const { cookie } = await loadCookie({ env: {}, cookieFile: path });
    const secret = await secretVolume(path);
    return {
      cookie,
      source: inputs.cookieFile === undefined ? path : `--cookie-file ${path}`,
      detail: secret ? 'a file of a mounted Kubernetes Secret volume' : 'a file',
    };
  } catch (error) {
    return { error };
  }
}

/** Gathers what the Erlang checks read: this host's and each peer's EPMD (or fixed port), and the cookie. */
export async function gatherErlangFacts(f: DoctorFacts, erl: ErlangInputs): Promise<ErlangFacts> {
  const addresses = peerAddresses(f);
  const ownHost = erl.epmdHost ?? '127.0.0.1';
  const cookie = await cookieFact(f);
  if (erl.erlEpmdPort !== undefined) {
    const port = erl.erlEpmdPort;
    const [own, ...peers] = await Promise.all([ownHost, ...addresses].map((a) => listening(a, port)));
    return {
      mode: 'fixed',
      port,
      own: own as EpmdAnswer,
      peers: peers.map((answer, i) => ({ address: addresses[i] as string, answer })),
      cookie,
    };
  }
  const client = new EpmdClient({ port: erl.epmdPort, requestTimeoutMs: CLI_DEFAULTS.doctor.pingTimeoutMs });
  const [own, ...peers] = await Promise.all([ownHost, ...addresses].map((a) => epmdNames(client, a)));
  return {
    mode: 'epmd',
    port: erl.epmdPort,
    own: own as EpmdAnswer,
    peers: peers.map((answer, i) => ({ address: addresses[i] as string, answer })),
    cookie,
  };
}
