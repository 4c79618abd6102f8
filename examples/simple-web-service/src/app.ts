import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { type ClusterDeps, type RunningCluster, startCluster } from './cluster.js';
import type { AppConfig } from './config.js';
import { APP_DEFAULTS } from './defaults.js';
import { createHttpServer } from './http-server.js';

/** A running simple-web-service: the cluster member and its HTTP server. */
export interface App {
  readonly cluster: RunningCluster;
  /** The bound HTTP port (PORT=0 picks a free one). */
  readonly httpPort: number;
  /**
   * Stops safely, in order: readiness off (/readyz 503, `connection: close` on answers) for the config's `drainMs`
   * while still serving and still a member; then leaves the cluster (peers see nodedown `shutdown`); then stops
   * accepting HTTP connections, closes idle ones and lets in-flight requests finish. Idempotent.
   */
  stop(): Promise<void>;
}

/** Starts the app: joins the cluster, then serves HTTP on config.httpPort. */
export async function startApp(config: AppConfig, logger: Logger, deps: ClusterDeps = {}): Promise<App> {
  const cluster = await startCluster(config, logger, deps);
  const server: Server = createHttpServer(cluster, logger.child({ component: 'http' }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.httpPort, config.httpHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const address = server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
  logger.info({ node: cluster.self, httpPort }, 'serving http');
  let stopped: Promise<void> | undefined;
  return {
    cluster,
    httpPort,
    stop() {
      stopped ??= (async () => {
        cluster.drain();
        if (config.drainMs > 0) {
          logger.info({ drainMs: config.drainMs }, 'draining: readiness off, still serving');
          await new Promise((resolve) => setTimeout(resolve, config.drainMs));
        }
        await cluster.stop();
        // close() stops accepting and closes idle keep-alive connections; a request in flight finishes (its answer
        // says `connection: close`), and close's callback runs when the last connection is gone.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      })();
      return stopped;
    },
  };
}

/**
 * Stops `app` on SIGTERM/SIGINT (see {@link App.stop}), exiting 0 once it is done, or 1 if that takes longer than
 * `drainMs` plus the shutdown timeout.
 */
export function exitOnSignals(app: App, logger: Logger, drainMs = 0): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal, drainMs }, 'stopping: drain, leave the cluster, finish requests');
    const timeoutMs = drainMs + APP_DEFAULTS.shutdownTimeoutMs;
    const force = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    app.stop().then(
      () => {
        logger.flush?.();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
