#!/usr/bin/env node
// The kindred side of a mixed lab: the seed's app (examples/simple-web-service, built), started exactly as its
// dist/main.js starts it, so with KINDRED_DISTRIBUTION=erlang it speaks Erlang's distribution protocol and its
// page, GET /nodes and GET /observe show the erl pods too. On top, what the Erlang side reaches by rpc:call, as an
// application would expose it (the app itself exposes nothing):
//   lab:nodes()        this node's nodes(), as binaries
//   lab:received()     what this pod's member of the pg group `mixed` (default scope) received, oldest first
//   lab:broadcast(M)   sends M to every member of `mixed` on every node; returns how many
//   lab:members()      how many members of `mixed` this node knows of
// Every message the member receives is also logged ({"lab":"received", ...}).
import { createRequire } from 'node:module';

const APP = new URL('../../../examples/simple-web-service/dist/index.js', import.meta.url);
const { exitOnSignals, loadConfig, startApp } = await import(APP.href);
const { pino } = createRequire(APP)('pino');

let logger = pino({ name: 'simple-web-service' });
try {
  const config = loadConfig(process.env);
  logger = pino({ name: 'simple-web-service', level: config.logLevel });
  const app = await startApp(config, logger);
  exitOnSignals(app, logger, config.drainMs);
  const node = app.cluster.node;
  const received = [];
  const member = node.spawnHandler((msg) => {
    received.push(msg);
    logger.info({ lab: 'received', message: String(msg?.name ?? msg) }, 'pg member received a message');
  });
  node.pg.join('mixed', member);
  node.expose('lab:nodes', () => node.nodes().sort());
  node.expose('lab:received', () => received);
  node.expose('lab:broadcast', (msg) => node.pg.broadcast('mixed', msg));
  node.expose('lab:members', () => node.pg.members('mixed').length);
} catch (err) {
  logger.fatal({ err }, 'start failed');
  process.exitCode = 1;
}
