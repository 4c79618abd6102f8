import type { ClusterStats } from './cluster-view.js';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/**
 * Renders the Prometheus text exposition format (version 0.0.4) of a view's counters: cluster size, connects,
 * handshake failures by reason, messages in and out, discovery rounds. The running app serves its prom-client
 * registry instead (cluster.ts: @kindred/metrics and Node's process metrics); this serves a view that has none.
 */
export function renderMetrics(self: string, clusterSize: number, stats: ClusterStats): string {
  const node = `node="${escapeLabel(self)}"`;
  const out: string[] = [];
  family(
    out,
    'kindred_cluster_nodes',
    'gauge',
    'Nodes in the cluster as this node sees it, itself included.',
  );
  out.push(`kindred_cluster_nodes{${node}} ${clusterSize}`);
  family(out, 'kindred_connects_total', 'counter', 'Peer connections that completed the handshake.');
  out.push(`kindred_connects_total{${node}} ${stats.connects}`);
  family(out, 'kindred_disconnects_total', 'counter', 'Peers that went down (nodedown).');
  out.push(`kindred_disconnects_total{${node}} ${stats.disconnects}`);
  family(out, 'kindred_handshake_failures_total', 'counter', 'Failed handshakes, by reason.');
  for (const reason of Object.keys(stats.handshakeFailures).sort()) {
    out.push(
      `kindred_handshake_failures_total{${node},reason="${escapeLabel(reason)}"} ${stats.handshakeFailures[reason]}`,
    );
  }
  family(out, 'kindred_messages_in_total', 'counter', 'Messages received from peers.');
  out.push(`kindred_messages_in_total{${node}} ${stats.messagesIn}`);
  family(out, 'kindred_messages_out_total', 'counter', 'Messages sent to peers.');
  out.push(`kindred_messages_out_total{${node}} ${stats.messagesOut}`);
  family(out, 'kindred_discovery_runs_total', 'counter', 'Completed discovery rounds.');
  out.push(`kindred_discovery_runs_total{${node}} ${stats.discoveryRuns}`);
  family(out, 'kindred_discovery_errors_total', 'counter', 'Discovery rounds that failed (DNS errors).');
  out.push(`kindred_discovery_errors_total{${node}} ${stats.discoveryErrors}`);
  return `${out.join('\n')}\n`;
}
