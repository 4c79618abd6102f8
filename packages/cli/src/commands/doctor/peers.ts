import { randomBytes } from 'node:crypto';
import { isKindredError, KindredError } from '@kindred/dns';
import { loadCookie } from '@kindred/node-identity';
import { createTransport } from '@kindred/transport';
import { CLI_ERRORS } from '../../command.js';
import { CLI_DEFAULTS } from '../../defaults.js';
import { pangReason, pingErlang, refusalReason } from '../ping.js';
import type { DoctorFacts, PingResult } from './facts.js';

/** One peer to ping: its node name, and the address and port it is dialed on (none: the reason why). */
export interface PeerToPing {
  readonly node: string;
  readonly address: string | undefined;
  readonly port: number;
  /** Why there is no address, when there is none. */
  readonly noAddress?: string;
}

/** The outcome of pinging the discovered peers, as the `peers` check renders it. */
export type PeersOutcome =
  | { readonly kind: 'no-cookie'; readonly error: unknown }
  | { readonly kind: 'pinged'; readonly results: readonly { node: string; result: PingResult }[] };

/** Fails after the doctor's ping timeout, so a silent peer is a pang, not a hang. */
async function withTimeout<T>(work: Promise<T>): Promise<T> {
  const timeoutMs = CLI_DEFAULTS.doctor.pingTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KindredError(CLI_ERRORS.DOCTOR_PING_TIMEOUT, `no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  if (isKindredError(err)) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

function pang(err: unknown): PingResult {
  if (isKindredError(err, CLI_ERRORS.DOCTOR_PING_TIMEOUT)) return { ok: false, reason: describe(err) };
  // The wire's own pang reason first (bad_cookie, name_mismatch, not_allowed: host_unresolved, ...).
  const refusal = refusalReason(err);
  const reason = `${pangReason(err)}${refusal === undefined ? '' : `: ${refusal}`}`;
  return { ok: false, reason: `${reason}: ${describe(err)}` };
}

/** Pings `node` at `address:port` with a hidden, short-lived kindred transport: pong when the handshake completes. */
async function transportPing(
  self: string,
  node: string,
  address: string,
  port: number,
  cookie: string,
): Promise<PingResult> {
  const transport = createTransport({ self: { node: self }, cookie, port: 0, hidden: true, host: '::' });
  try {
    await withTimeout(transport.connect(node, { address, port }));
    return { ok: true };
  } catch (err) {
    return pang(err);
  } finally {
    await transport.close().catch(() => {});
  }
}

/**
 * net_adm:ping over Erlang's wire, as `kindred ping --erlang` does: the port from the peer host's EPMD on
 * `epmdPort`, or the epmd-less port. The peer's host is its node name's (an IP under pod-ip naming).
 */
async function erlangPing(
  self: string,
  node: string,
  cookie: string,
  epmdPort: number,
  erlEpmdPort: number | undefined,
): Promise<PingResult> {
  try {
    await withTimeout(pingErlang(self, cookie, node, { ERL_EPMD_PORT: String(epmdPort) }, erlEpmdPort));
    return { ok: true };
  } catch (err) {
    return pang(err);
  }
}

/** The cookie peers are pinged with: the given one, else as the app finds it (KINDRED_COOKIE, the cookie file). */
async function pingCookie(f: DoctorFacts): Promise<string> {
  const { inputs } = f;
  if (inputs.cookie !== undefined) return inputs.cookie;
  // Under --erlang the facts already loaded it from the same sources (a failed read is tried again below, where
  // loadCookie may create the home file as the app would).
  const known = f.erlang?.cookie;
  if (known !== undefined && 'cookie' in known) return known.cookie;
  const loaded = await loadCookie({
    env: inputs.env ?? process.env,
    ...(inputs.home === undefined ? {} : { home: inputs.home }),
    ...(inputs.cookieFile === undefined ? {} : { cookieFile: inputs.cookieFile }),
  });
  return loaded.cookie;
}

/**
 * Pings every peer at once, with `inputs.ping` when given, else over the node's wire: kindred's, or Erlang's when
 * `inputs.erlang` is set. `selfHost` is the host part of the doctor's own (hidden, random) node name.
 */
export async function pingPeers(
  f: DoctorFacts,
  peers: readonly PeerToPing[],
  selfHost: string,
): Promise<PeersOutcome> {
  let cookie: string;
  try {
    cookie = await pingCookie(f);
  } catch (error) {
    return { kind: 'no-cookie', error };
  }
  const { inputs } = f;
  const self = `doctor-${randomBytes(3).toString('hex')}@${selfHost}`;
  const erl = inputs.erlang;
  const ping =
    inputs.ping ??
    (erl === undefined
      ? (node: string, address: string, port: number, c: string) =>
          transportPing(self, node, address, port, c)
      : (node: string, _address: string, _port: number, c: string) =>
          erlangPing(self, node, c, erl.epmdPort, erl.erlEpmdPort));
  const results = await Promise.all(
    peers.map(async (p) => ({
      node: p.node,
      result:
        p.address === undefined
          ? ({ ok: false, reason: p.noAddress ?? 'no address' } as PingResult)
          : await ping(p.node, p.address, p.port, cookie),
    })),
  );
  return { kind: 'pinged', results };
}
