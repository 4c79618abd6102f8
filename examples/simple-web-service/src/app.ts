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
  /** Leaves the cluster and closes the HTTP server. Idempotent. */
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
        // Leave first (readiness flips to 503 at once), then stop serving.
        await cluster.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopped;
    },
  };
}

/** Stops `app` on SIGTERM/SIGINT, exiting 0 once it has left, or 1 if that takes over the shutdown timeout. */
export function exitOnSignals(app: App, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'leaving the cluster');
    const force = setTimeout(() => {
      logger.error({ timeoutMs: APP_DEFAULTS.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, APP_DEFAULTS.shutdownTimeoutMs);
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
