import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../src/metrics.js';

describe('renderMetrics', () => {
  it('renders the Prometheus text format with HELP/TYPE lines and escaped labels', () => {
    const text = renderMetrics('app@pod-1.svc', 3, {
      connects: 4,
      disconnects: 1,
      handshakeFailures: { name_mismatch: 2, bad_cookie: 1 },
      messagesIn: 10,
      messagesOut: 12,
      discoveryRuns: 7,
      discoveryErrors: 0,
    });
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('kindred_cluster_nodes{node="app@pod-1.svc"} 3');
    expect(lines).toContain('kindred_connects_total{node="app@pod-1.svc"} 4');
    expect(lines).toContain('kindred_handshake_failures_total{node="app@pod-1.svc",reason="bad_cookie"} 1');
    expect(lines).toContain(
      'kindred_handshake_failures_total{node="app@pod-1.svc",reason="name_mismatch"} 2',
    );
    expect(lines).toContain('kindred_messages_in_total{node="app@pod-1.svc"} 10');
    expect(lines).toContain('kindred_messages_out_total{node="app@pod-1.svc"} 12');
    // Every sample belongs to a family declared with # TYPE before it.
    const declared = new Set<string>();
    for (const line of lines) {
      const type = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
      if (type?.[1] !== undefined) declared.add(type[1]);
      else if (!line.startsWith('#')) expect(declared.has(line.split('{')[0] ?? '')).toBe(true);
    }
    expect(
      renderMetrics('a"b\\c', 1, {
        connects: 0,
        disconnects: 0,
        handshakeFailures: {},
        messagesIn: 0,
        messagesOut: 0,
        discoveryRuns: 0,
        discoveryErrors: 0,
      }),
    ).toContain('node="a\\"b\\\\c"');
  });
});
