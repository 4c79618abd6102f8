import { type ListContext, type Peer, type Strategy, strategyFromSpec } from '@kindred/discovery';
import type { Resolver } from '@kindred/dns';
import { KindredError } from '@kindred/runtime';

/** A discovery strategy that also counts its rounds, for /readyz and /metrics. */
export interface CountingStrategy extends Strategy {
  /** Completed lookups (successful or not). */
  readonly runs: number;
  /** Lookups that failed (DNS errors). */
  readonly errors: number;
}

/**
 * The strategy for KINDRED_DISCOVERY (`dns-srv:QUERY`, `dns-a:QUERY`, `static:NODE@HOST[:PORT],...`) from
 * @kindred/discovery, with the app's node name base for DNS-found peers (`<name>@<SRV target>`, `<name>@<ip>`) and
 * KINDRED_PORT as the port of peers whose records carry none (A records, static entries without `:PORT`).
 * Throws KINDRED_ERR_APP_CONFIG naming KINDRED_DISCOVERY when the spec is malformed.
 */
export function discoveryStrategy(
  spec: string,
  name: string,
  port: number,
  resolver?: Resolver,
): CountingStrategy {
  let inner: Strategy;
  try {
    inner = strategyFromSpec(spec, { basename: name, port, ...(resolver === undefined ? {} : { resolver }) });
  } catch (err) {
    throw new KindredError('KINDRED_ERR_APP_CONFIG', `KINDRED_DISCOVERY: ${(err as Error).message}`, {
      cause: err,
      details: { variable: 'KINDRED_DISCOVERY', value: spec },
    });
  }
  let runs = 0;
  let errors = 0;
  return {
    name: inner.name,
    get runs() {
      return runs;
    },
    get errors() {
      return errors;
    },
    // The context carries the poll's deadline signal: passed on, a slow DNS answer ends the poll with the peers
    // that resolved instead of failing it.
    async list(context?: ListContext): Promise<Peer[]> {
      try {
        return await inner.list(context);
      } catch (err) {
        errors += 1;
        throw err;
      } finally {
        runs += 1;
      }
    },
  };
}
