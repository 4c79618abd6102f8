import { randomBytes } from 'node:crypto';
import {
  checkDialable,
  type NamingMode,
  namingModeOf,
  type OwnName,
  parseNodeName,
  type ResolveOwnNameOptions,
  resolveOwnName,
} from '@kindred/node-identity';

/** What names a one-off dialing node (`kindred ping`, `kindred observe`): its `--name` / `--sname`. */
export interface DialerNameOptions {
  readonly name?: string | undefined;
  readonly sname?: string | undefined;
}

/** The machine facts a test may give instead of the real ones (see ResolveOwnNameOptions). */
export type DialerIdentityDeps = Pick<ResolveOwnNameOptions, 'hostname' | 'hostsPath' | 'resolvConfPath'>;

/**
 * The naming mode a one-off node takes to dial `target`: long names with `--name`, short with `--sname`, else the
 * target's own (as erl's `-name`/`-sname` must match the cluster's). Throws, as erl's pang, when `target` is not a
 * node name or cannot be dialed in that mode (`n1@localhost` under long names, a dotted host under short names).
 */
export function dialingMode(target: string, values: DialerNameOptions): NamingMode {
  parseNodeName(target);
  const mode: NamingMode =
    values.name !== undefined
      ? 'longnames'
      : values.sname !== undefined
        ? 'shortnames'
        : namingModeOf(target);
  checkDialable(target, mode);
  return mode;
}

/**
 * The name of a one-off dialing node in `mode`: `--name`/`--sname` when given, else `<prefix>-<6 hex digits>`, so
 * two runs never collide; `KINDRED_NODE_NAME` is ignored (it names the machine's long-running node, not this one).
 */
export function dialerName(
  mode: NamingMode,
  values: DialerNameOptions,
  prefix: string,
  env: NodeJS.ProcessEnv,
  deps: DialerIdentityDeps = {},
): Promise<OwnName> {
  const unique = `${prefix}-${randomBytes(3).toString('hex')}`;
  const { hostname, hostsPath, resolvConfPath } = deps;
  return resolveOwnName({
    ...(hostname === undefined ? {} : { hostname }),
    ...(hostsPath === undefined ? {} : { hostsPath }),
    ...(resolvConfPath === undefined ? {} : { resolvConfPath }),
    env: { ...env, KINDRED_NODE_NAME: '' },
    ...(mode === 'longnames' ? { name: values.name ?? unique } : { sname: values.sname ?? unique }),
  });
}
