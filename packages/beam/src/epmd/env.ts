import { parsePort } from '@kindred/interface';
import { BEAM_NET_ERRORS } from '../errors-net.js';
import { EPMD_DEFAULTS } from './defaults.js';

/**
 * EPMD's port as `erl` and `epmd` pick it: `ERL_EPMD_PORT` when set (digits, 1-65535), else 4369.
 *
 * @throws KindredError `KINDRED_ERR_BEAM_NET_OPTION` when `ERL_EPMD_PORT` is set but not a port.
 */
export function epmdPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[EPMD_DEFAULTS.portEnv];
  if (raw === undefined || raw === '') return EPMD_DEFAULTS.port;
  return parsePort({ option: EPMD_DEFAULTS.portEnv, code: BEAM_NET_ERRORS.BEAM_NET_OPTION }, raw);
}
