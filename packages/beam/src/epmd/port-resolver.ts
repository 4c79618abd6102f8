import { checkPort } from '@kindred/interface';
import type { NodeName } from '@kindred/node-identity';
import { BEAM_NET_ERRORS, beamNetError } from '../errors-net.js';
import type { EpmdClient } from './client.js';

/**
 * How a node finds the distribution port of a peer: by asking the peer host's epmd (PORT_PLEASE2), or, epmd-less,
 * one fixed port for every node (OTP's `-erl_epmd_port P`: the node listens on P and dials every peer on P).
 */
export interface BeamPortResolver {
  /** `'epmd'` or `'fixed'`. */
  readonly mode: 'epmd' | 'fixed';
  /**
   * The port to dial `node` on.
   *
   * @throws KindredError `KINDRED_ERR_EPMD`: `details.reason` `not_registered` when the host's epmd has no such
   *   name (erl's pang), or the client's own reasons.
   */
  portOf(node: NodeName): Promise<number>;
}

/** Asks each peer host's epmd (the default, what erl does). */
export function epmdPortResolver(client: EpmdClient): BeamPortResolver {
  return {
    mode: 'epmd',
    async portOf(node) {
      const info = await client.portPlease(node.host, node.name);
      if (info === undefined) {
        throw beamNetError(
          BEAM_NET_ERRORS.EPMD,
          `epmd on ${node.host}:${client.port} knows no node named ${JSON.stringify(node.name)} (pang): is ` +
            `${node.name}@${node.host} running, and registered with that epmd?`,
          { reason: 'not_registered', host: node.host, name: node.name },
        );
      }
      return info.port;
    },
  };
}

/** Epmd-less: every node listens on `port` and is dialed on it (OTP's `-erl_epmd_port`). */
export function fixedPortResolver(port: number): BeamPortResolver {
  checkPort({ option: 'erlEpmdPort', code: BEAM_NET_ERRORS.BEAM_NET_OPTION }, port);
  return { mode: 'fixed', portOf: async () => port };
}
