#!/usr/bin/env node
// The seed's simple web service as a kindred app: configuration from the environment (see config.ts), JSON logs
// on stdout (pino), SIGTERM leaves the cluster cleanly. Exit codes: 0 after SIGTERM/SIGINT, 1 on a start failure.
import { isKindredError } from '@kindred/runtime';
import { pino } from 'pino';
import { exitOnSignals, startApp } from './app.js';
import { loadConfig } from './config.js';

async function main(): Promise<void> {
  let logger = pino({ name: 'simple-web-service' });
  try {
    const config = loadConfig(process.env);
    logger = pino({ name: 'simple-web-service', level: config.logLevel });
    const app = await startApp(config, logger);
    exitOnSignals(app, logger, config.drainMs);
  } catch (err) {
    if (isKindredError(err)) {
      logger.fatal({ code: err.code, details: err.details }, err.message);
      process.stderr.write(`simple-web-service: ${err.message} (${err.code})\n`);
    } else {
      logger.fatal({ err }, 'start failed');
    }
    process.exitCode = 1;
  }
}

void main();
