/**
 * The app's page: this node, its peers and the last node up/down events, refreshed every second from /nodes.
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
</style>
</head>
<body>
<h1>simple-web-service on kindred</h1>
<p>This page is served by <code id="self">…</code>.</p>
<h2>Cluster (<span id="size">…</span> nodes)</h2>
<ul id="nodes"></ul>
<h2>Recent events</h2>
<ul id="events"></ul>
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
