import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterView } from './cluster-view.js';
import { renderMetrics } from './metrics.js';
import { PAGE_HTML } from './page.js';

/** The body of GET /nodes. */
export interface NodesBody {
  /** This node. */
  readonly self: string;
  /** Connected peers, sorted. */
  readonly nodes: string[];
  /** The last node up/down events this node saw, oldest first. */
  readonly events: readonly { type: string; node: string; reason?: string; at: number }[];
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

/** Sends what `body` resolves to, or a 500 when it rejects (the request's error is the server's to log). */
function later(
  res: ServerResponse,
  body: Promise<[number, string, string]>,
  onError: (err: unknown) => void,
): void {
  body.then(
    ([status, type, text]) => send(res, status, type, text),
    (err: unknown) => {
      onError(err);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    },
  );
}

const ROUTES = ['/', '/nodes', '/observe', '/healthz', '/readyz', '/metrics'];

/**
 * The app's HTTP handler: GET / (the page), /nodes, /singleton, /observe, /healthz, /readyz, /metrics. Everything
 * else is 404, and methods other than GET/HEAD are 405. `onError` gets the failures of the routes that answer later.
 */
export function handleRequest(
  view: ClusterView,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (err: unknown) => void = () => {},
): void {
  const path = (req.url ?? '/').split('?')[0];
  // Draining: every answer closes its connection, so keep-alive clients (proxies, ingress) reconnect elsewhere
  // instead of reusing a connection that is about to close under them.
  if (view.stopping()) res.setHeader('connection', 'close');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    json(res, 405, { error: 'method not allowed' });
    return;
  }
  switch (path) {
    case '/':
      send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      return;
    case '/nodes': {
      const body: NodesBody = { self: view.self, nodes: view.nodes(), events: view.recentEvents() };
      json(res, 200, body);
      return;
    }
    case '/singleton': {
      if (view.singleton === undefined) break;
      json(res, 200, { self: view.self, ...view.singleton() });
      return;
    }
    case '/healthz':
      // Liveness: the event loop answers. Peers coming and going never make a pod unhealthy.
      json(res, 200, { ok: true });
      return;
    case '/readyz':
      if (view.stopping()) json(res, 503, { ready: false, reason: 'shutting down' });
      else if (!view.discovered()) json(res, 503, { ready: false, reason: 'discovery has not run yet' });
      else json(res, 200, { ready: true, nodes: view.nodes().length + 1 });
      return;
    case '/metrics': {
      const type = 'text/plain; version=0.0.4; charset=utf-8';
      if (view.metrics === undefined) {
        send(res, 200, type, renderMetrics(view.self, view.nodes().length + 1, view.stats()));
      } else
        later(
          res,
          view.metrics().then((text) => [200, type, text]),
          onError,
        );
      return;
    }
    case '/observe':
      // The same data as `kindred observe NODE --json` (its shape: packages/cli/README.md).
      if (view.observe === undefined) json(res, 404, { error: 'this view has no observe' });
      else {
        const body = view
          .observe()
          .then((snap): [number, string, string] => [
            200,
            'application/json; charset=utf-8',
            `${JSON.stringify(snap)}\n`,
          ]);
        later(res, body, onError);
      }
      return;
    default:
      break;
  }
  json(res, 404, {
    error: `no route ${path}`,
    routes: [...ROUTES, ...(view.singleton ? ['/singleton'] : [])],
  });
}

/** Creates (but does not start) the app's HTTP server. */
export function createHttpServer(view: ClusterView, logger: Logger): Server {
  const server = createServer((req, res) => {
    try {
      handleRequest(view, req, res, (err) => logger.error({ err }, 'request failed'));
    } catch (err) {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return server;
}
