/**
 * The metrics of one kindred node, registered into a prom-client registry. Counters and gauges are read from the
 * node's own counters when Prometheus scrapes (`collect`), so the hot paths pay nothing; nodeup/nodedown counts and
 * the call/rpc latency histograms come from the runtime's diagnostics channels, subscribed here (a subscriber to
 * `kindred:call` makes every call carry a W3C traceparent: a few random bytes per call).
 */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import type { DiscoveryStats } from '@kindred/discovery';
import { badOption, checkNonEmptyString, isKindredError } from '@kindred/interface';
import {
  type CallTraceContext,
  DIAGNOSTICS_CHANNELS,
  type KNode,
  type NodedownEvent,
  type NodeupEvent,
  type RpcTraceContext,
} from '@kindred/runtime';
import type { TransportStats } from '@kindred/transport';
import { Counter, register as defaultRegistry, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_DEFAULTS } from './defaults.js';
import { METRICS_ERRORS } from './errors.js';

/** The node to measure: a `KNode`, with the transport and discovery `startNode` gives it (both optional). */
export type MeasuredNode = KNode & {
  readonly transport?: { stats(): TransportStats };
  readonly discovery?: { stats(): DiscoveryStats } | undefined;
};

/** Options of {@link createKindredMetrics}. */
export interface KindredMetricsOptions {
  /** The node (what `startNode` returns, or any `KNode`). */
  readonly node: MeasuredNode;
  /** The app's registry; default prom-client's global `register`. */
  readonly registry?: Registry;
  /** Prefix of every metric name. Default {@link METRICS_DEFAULTS.prefix}. */
  readonly prefix?: string;
  /** Buckets of the latency histograms, seconds. Default {@link METRICS_DEFAULTS.latencyBucketsSeconds}. */
  readonly latencyBucketsSeconds?: readonly number[];
}

/** What {@link createKindredMetrics} returns. */
export interface KindredMetrics {
  /** The registry the metrics are in. */
  readonly registry: Registry;
  /** Names of the metrics registered. */
  readonly names: readonly string[];
  /** Unsubscribes from the diagnostics channels and removes the metrics from the registry. Idempotent. */
  close(): void;
}

type Labels = Record<string, string>;

/** A counter whose value is read from the node at scrape time (monotonic by construction of its source). */
function readCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Iterable<[Labels, number]>,
): Counter<string> {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

function readGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Iterable<[Labels, number]>,
): Gauge<string> {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}

/** The outcome label of a finished call: `ok`, or the error's stable code (a bounded set), else `error`. */
function outcomeOf(ctx: { error?: unknown }): string {
  if (!('error' in ctx)) return 'ok';
  return isKindredError(ctx.error) ? ctx.error.code : 'error';
}

/**
 * Registers the metrics of `node` into `registry` (see the package README for the list). One collector per node and
 * registry; a second one with the same prefix throws prom-client's duplicate-name error.
 */
export function createKindredMetrics(options: KindredMetricsOptions): KindredMetrics {
  const opt = (option: string) => ({ option, code: METRICS_ERRORS.METRICS_BAD_OPTION });
  if (typeof options !== 'object' || options === null) throw badOption(opt('options'), 'an object', options);
  const node = options.node;
  if (typeof node !== 'object' || node === null || typeof node.stats !== 'function') {
    throw badOption(opt('node'), 'a kindred node (startNode or createNode)', node);
  }
  const prefix =
    options.prefix === undefined
      ? METRICS_DEFAULTS.prefix
      : checkNonEmptyString(opt('prefix'), options.prefix);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    throw badOption(opt('prefix'), 'a Prometheus name prefix', prefix);
  const buckets = options.latencyBucketsSeconds ?? METRICS_DEFAULTS.latencyBucketsSeconds;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    !buckets.every((b) => typeof b === 'number' && b > 0)
  ) {
    throw badOption(opt('latencyBucketsSeconds'), 'a non-empty array of numbers > 0', buckets);
  }
  const registry = options.registry ?? defaultRegistry;
  const self = { node: node.name };
  const n = (s: string) => `${prefix}${s}`;
  const names: string[] = [];
  const one = (v: number): Iterable<[Labels, number]> => [[self, v]];
  const counter = (name: string, help: string, read: () => number) => {
    readCounter(registry, n(name), help, ['node'], () => one(read()));
    names.push(n(name));
  };
  const gauge = (name: string, help: string, read: () => number) => {
    readGauge(registry, n(name), help, ['node'], () => one(read()));
    names.push(n(name));
  };

  // Processes and mailboxes (node.stats()).
  gauge('processes', 'Live processes.', () => node.stats().processes);
  counter('processes_spawned_total', 'Processes spawned since the node started.', () => node.stats().spawned);
  gauge('registered_names', 'Registered names.', () => node.stats().registered);
  counter(
    'mailbox_overflows_total',
    'Processes killed with mailbox_overflow (maxMailboxSize or maxMailboxBytes).',
    () => node.stats().mailboxOverflows,
  );
  gauge(
    'mailbox_queued_bytes',
    'Estimated bytes of remote messages waiting in mailboxes.',
    () => node.stats().queuedBytes,
  );
  counter(
    'dropped_messages_total',
    'Messages to other nodes dropped: no connection, its queue full, or the node in dial backoff.',
    () => node.stats().droppedRemote,
  );
  counter(
    'bad_control_messages_total',
    'Malformed messages from peers, ignored.',
    () => node.stats().badControl,
  );
  counter(
    'spoofed_signals_total',
    'Signals from a peer naming a sender not its own, dropped.',
    () => node.stats().spoofedSignals,
  );
  counter(
    'peer_overflows_total',
    'Peers disconnected because their unread messages went over maxQueuedBytesPerPeer or maxQueuedBytes.',
    () => node.stats().peerOverflows,
  );
  counter('dial_failures_total', 'Dials to other nodes that failed.', () => node.stats().dialFailures);
  counter(
    'dials_skipped_total',
    'Automatic dials not started (backoff, dial rate).',
    () => node.stats().dialsSkipped,
  );
  counter('rex_restarts_total', 'Restarts of the rpc server rex.', () => node.stats().rexRestarts);
  gauge(
    'cluster_nodes',
    'Nodes in the cluster as this node sees it, itself included.',
    () => node.nodes().length + 1,
  );
  gauge('hidden_peers', 'Connected hidden nodes (kindred observe, ping).', () => node.hiddenNodes().length);

  // The transport: per-peer traffic, handshakes.
  const transport = node.transport;
  if (transport !== undefined) {
    // Per-peer counters start over at a reconnection (a new label set); the totals (closed connections included)
    // never go down.
    const peers = () => transport.stats().peers;
    const totals = () => transport.stats().totals;
    counter('messages_in_total', 'Messages received from peers.', () => totals().messagesIn);
    counter('messages_out_total', 'Messages sent to peers.', () => totals().messagesOut);
    counter('bytes_in_total', 'Bytes of message frames received from peers.', () => totals().bytesIn);
    counter('bytes_out_total', 'Bytes of messages sent to peers.', () => totals().bytesOut);
    const perPeer = (
      kind: 'counter' | 'gauge',
      name: string,
      help: string,
      read: (s: TransportStats['peers'][string]) => number,
    ) => {
      const f = kind === 'counter' ? readCounter : readGauge;
      f(registry, n(name), help, ['node', 'peer', 'direction'], () =>
        Object.entries(peers()).map(([peer, s]): [Labels, number] => [
          { ...self, peer, direction: s.direction },
          read(s),
        ]),
      );
      names.push(n(name));
    };
    perPeer(
      'counter',
      'peer_messages_in_total',
      'Messages received from this peer on its current connection.',
      (s) => s.messagesIn,
    );
    perPeer(
      'counter',
      'peer_messages_out_total',
      'Messages sent to this peer on its current connection.',
      (s) => s.messagesOut,
    );
    perPeer(
      'counter',
      'peer_bytes_in_total',
      'Bytes received from this peer on its current connection.',
      (s) => s.bytesIn,
    );
    perPeer(
      'counter',
      'peer_bytes_out_total',
      'Bytes sent to this peer on its current connection.',
      (s) => s.bytesOut,
    );
    perPeer(
      'gauge',
      'peer_queued_bytes',
      'Bytes queued to this peer, not yet written.',
      (s) => s.queuedBytes,
    );
    perPeer(
      'gauge',
      'peer_last_seen_timestamp_seconds',
      'When this peer was last seen alive (a frame or tick), Unix time.',
      (s) => (s.lastInAt ?? 0) / 1000,
    );
    readCounter(
      registry,
      n('handshake_failures_total'),
      'Failed handshakes, by reason (a dial refused by the host is kindred_connections_refused_total, not here).',
      ['node', 'reason'],
      () =>
        Object.entries(transport.stats().handshakeFailures).map(([reason, v]): [Labels, number] => [
          { ...self, reason },
          v,
        ]),
    );
    names.push(n('handshake_failures_total'));
    counter(
      'connections_refused_total',
      'Dials refused by the host (ECONNREFUSED: nothing listening, e.g. a node restarting); not handshake failures.',
      () => transport.stats().connectionsRefused ?? 0,
    );
    counter(
      'handshakes_completed_total',
      'Handshakes that ended in a connection.',
      () => transport.stats().handshakesCompleted,
    );
    counter(
      'mac_failures_total',
      'Connections closed for a frame with a wrong MAC (4011 bad_mac).',
      () => transport.stats().macFailures,
    );
    readCounter(
      registry,
      n('edge_refusals_total'),
      'Connections refused or dropped before authentication, by reason.',
      ['node', 'reason'],
      () =>
        Object.entries(transport.stats().edge.refusals).map(([reason, v]): [Labels, number] => [
          { ...self, reason },
          v,
        ]),
    );
    names.push(n('edge_refusals_total'));
  }

  // Discovery.
  const discovery = node.discovery;
  if (discovery !== undefined) {
    counter('discovery_runs_total', 'Discovery polls finished.', () => discovery.stats().polls);
    counter(
      'discovery_errors_total',
      'Discovery polls that failed (the last peers were kept).',
      () => discovery.stats().failedPolls,
    );
    gauge('discovery_peers', 'Peers discovery knows now.', () => discovery.stats().peers);
  }

  // Events and latencies, from the diagnostics channels.
  const nodeups = new Counter({
    name: n('nodeup_total'),
    help: 'Connections to peers that came up.',
    labelNames: ['node', 'hidden'],
    registers: [registry],
  });
  const nodedowns = new Counter({
    name: n('nodedown_total'),
    help: 'Connections to peers that went down, by Erlang nodedown reason.',
    labelNames: ['node', 'reason'],
    registers: [registry],
  });
  const histogram = (name: string, help: string) =>
    new Histogram({
      name: n(name),
      help,
      labelNames: ['node', 'outcome'],
      buckets: [...buckets],
      registers: [registry],
    });
  const callSeconds = histogram(
    'call_duration_seconds',
    'Duration of call (gen_server:call), by outcome (ok or the error code).',
  );
  const rpcSeconds = histogram('rpc_duration_seconds', 'Duration of rpc, by outcome (ok or the error code).');
  names.push(n('nodeup_total'), n('nodedown_total'), n('call_duration_seconds'), n('rpc_duration_seconds'));

  const onNodeup = (m: unknown) => {
    const e = m as NodeupEvent;
    if (e.node === node.name) nodeups.inc({ ...self, hidden: String(e.hidden) });
  };
  const onNodedown = (m: unknown) => {
    const e = m as NodedownEvent;
    if (e.node === node.name)
      nodedowns.inc({ ...self, reason: typeof e.reason === 'string' ? e.reason.slice(0, 64) : 'other' });
  };
  subscribe(DIAGNOSTICS_CHANNELS.nodeup, onNodeup);
  subscribe(DIAGNOSTICS_CHANNELS.nodedown, onNodedown);
  const timed = <T extends { node: string; error?: unknown }>(channelName: string, h: Histogram<string>) => {
    const started = new WeakMap<object, bigint>();
    const done = (ctx: T) => {
      const t0 = started.get(ctx);
      if (t0 === undefined) return;
      started.delete(ctx);
      h.observe({ ...self, outcome: outcomeOf(ctx) }, Number(process.hrtime.bigint() - t0) / 1e9);
    };
    const handlers = {
      start: (ctx: T) => {
        if (ctx.node === node.name) started.set(ctx, process.hrtime.bigint());
      },
      end: () => {},
      asyncStart: () => {},
      asyncEnd: done,
      error: () => {},
    };
    const ch = tracingChannel<string, T>(channelName);
    ch.subscribe(handlers as never);
    return () => ch.unsubscribe(handlers as never);
  };
  const untimeCall = timed<CallTraceContext>(DIAGNOSTICS_CHANNELS.call, callSeconds);
  const untimeRpc = timed<RpcTraceContext>(DIAGNOSTICS_CHANNELS.rpc, rpcSeconds);

  let closed = false;
  return {
    registry,
    names,
    close() {
      if (closed) return;
      closed = true;
      unsubscribe(DIAGNOSTICS_CHANNELS.nodeup, onNodeup);
      unsubscribe(DIAGNOSTICS_CHANNELS.nodedown, onNodedown);
      untimeCall();
      untimeRpc();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
