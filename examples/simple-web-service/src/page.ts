/**
 * The app's page: this node, its peers and the last node up/down events, refreshed every second from /nodes, and a
 * look inside the node (processes, registered names, pg groups, peers with their traffic) from /observe.
 * Self-contained (no external scripts or styles) so it works inside a cluster with no egress.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kindred: simple-web-service</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.3rem; } code { background: #f3f3f3; padding: 0 .3em; border-radius: 3px; }
  ul { padding-left: 1.2rem; } li.self { font-weight: 600; }
  .down { color: #b00; } .up { color: #070; } #status { color: #777; font-size: .9em; }
  table { border-collapse: collapse; font-size: .85em; margin-bottom: 1rem; } td, th { padding: .15em .6em; text-align: left; }
  th { border-bottom: 1px solid #ccc; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>simple-web-service on kindred</h1>
<p>This page is served by <code id="self">…</code>.</p>
<h2>Cluster (<span id="size">…</span> nodes)</h2>
<ul id="nodes"></ul>
<h2>Recent events</h2>
<ul id="events"></ul>
<h2>Inside this node <span id="uptime" style="font-weight: normal; color: #777"></span></h2>
<h3>Processes (<span id="pcount">…</span>)</h3>
<table><thead><tr><th>pid</th><th>name</th><th>function</th><th>status</th><th>mailbox</th><th>links</th><th>monitors</th></tr></thead><tbody id="procs"></tbody></table>
<h3>Process groups</h3>
<table><thead><tr><th>scope</th><th>group</th><th>members</th></tr></thead><tbody id="groups"></tbody></table>
<h3>Peers</h3>
<table><thead><tr><th>node</th><th>direction</th><th>bytes in</th><th>bytes out</th><th>queued</th><th>last seen</th></tr></thead><tbody id="peers"></tbody></table>
<p id="status"></p>
<script>
  const text = (tag, value, cls) => { const el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; };
  async function refresh() {
    try {
      const res = await fetch('nodes', { cache: 'no-store' });
      const view = await res.json();
      document.getElementById('self').textContent = view.self;
      document.getElementById('size').textContent = String(view.nodes.length + 1);
      const nodes = document.getElementById('nodes');
      nodes.replaceChildren(text('li', view.self + ' (this node)', 'self'), ...view.nodes.map((n) => text('li', n)));
      const events = document.getElementById('events');
      events.replaceChildren(...(view.events || []).slice().reverse().map((e) =>
        text('li', new Date(e.at).toLocaleTimeString() + '  ' + e.type + '  ' + e.node + (e.reason ? '  (' + e.reason + ')' : ''),
          e.type === 'nodeup' ? 'up' : 'down')));
      const row = (cells) => { const tr = document.createElement('tr'); for (const [v, n] of cells) tr.append(text('td', v, n ? 'n' : '')); return tr; };
      const snap = await (await fetch('observe', { cache: 'no-store' })).json();
      document.getElementById('uptime').textContent = 'up ' + Math.round(snap.uptimeMs / 1000) + ' s';
      document.getElementById('pcount').textContent = String(snap.processCount);
      document.getElementById('procs').replaceChildren(...snap.processes.map((p) => row([[p.pid], [p.name || ''], [p.function],
        [p.status], [String(p.mailbox), true], [String(p.linkCount), true], [String(p.monitorCount), true]])));
      document.getElementById('groups').replaceChildren(...snap.groups.map((g) => row([[g.scope], [g.group],
        [g.memberCount + ': ' + g.members.join(' ')]])));
      document.getElementById('peers').replaceChildren(...snap.peers.map((p) => row([[p.node + (p.hidden ? ' (hidden)' : '')],
        [p.direction || ''], [String(p.bytesIn ?? ''), true], [String(p.bytesOut ?? ''), true], [String(p.queuedBytes ?? ''), true],
        [p.lastInAt ? Math.round((snap.at - p.lastInAt) / 1000) + ' s ago' : '']])));
      document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (err) {
      document.getElementById('status').textContent = 'cannot reach this node: ' + err.message;
    }
  }
  refresh();
  setInterval(refresh, 1000);
</script>
</body>
</html>
`;
