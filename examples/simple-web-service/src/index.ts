/**
 * The seed's simple web service as a kindred app. Run `node dist/main.js`; use these exports to embed or test it.
 */
export { type App, exitOnSignals, startApp } from './app.js';
export { type ClusterDeps, ownIpv4, type RunningCluster, startCluster } from './cluster.js';
export type { ClusterEvent, ClusterStats, ClusterView } from './cluster-view.js';
export { type AppConfig, loadConfig } from './config.js';
export { APP_DEFAULTS } from './defaults.js';
export { createHttpServer, handleRequest, type NodesBody } from './http-server.js';
export { renderMetrics } from './metrics.js';
export { type CountingStrategy, discoveryStrategy } from './strategy.js';
