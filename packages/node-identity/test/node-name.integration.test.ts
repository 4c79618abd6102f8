import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertLabPrerequisites, type LabHost, LabNetwork } from '@kindred/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDialable, type NamingMode } from '../src/node-name.js';

// checkDialable against the oracle: Debian's real erl (OTP 25) in a lab namespace dials each target with
// net_adm:ping and we read whether it logged "** Hostname H is illegal **". Every target resolves (the namespace's
// /etc/hosts names them, or they are literals), because erl only reaches the legality check for a host some protocol
// can resolve; IPv6 literals are dialed by an erl running -proto_dist inet6_tcp. Needs root and erlang-base; the lab
// namespace (per-run random id) is removed in afterAll with every process in it, epmd included.

let net: LabNetwork;
let host: LabHost;
let home: string;

beforeAll(async () => {
  await assertLabPrerequisites();
  if (!existsSync('/usr/bin/erl'))
    throw new Error("erl is missing: run 'bash scripts/setup.sh' (erlang-base)");
  home = await mkdtemp(join(tmpdir(), 'kindred-dial-erl-'));
  net = await LabNetwork.create();
  host = await net.addHost({
    hostname: 'box',
    address: '10.244.3.2',
    hostsFile:
      '127.0.0.1\tbox.example\tbox\n127.0.0.1\tlocalhost\tother\ta.b.c\n::1\tip6-localhost\tv6host\n',
    resolvConf: 'search example\nnameserver 10.244.3.2\n',
  });
});

afterAll(async () => {
  await net?.destroy();
  if (home) await rm(home, { recursive: true, force: true });
});

/** The hosts erl logged as illegal while `-name`/`-sname n2` (over `proto`) pinged each target. */
async function erlIllegal(
  mode: NamingMode,
  proto: 'inet_tcp' | 'inet6_tcp',
  targets: string[],
): Promise<string> {
  const list = targets.map((t) => JSON.stringify(t)).join(',');
  const r = await host.exec(
    [
      'erl',
      mode === 'longnames' ? '-name' : '-sname',
      'n2',
      '-proto_dist',
      proto,
      '-setcookie',
      'kindred-test',
      '-noshell',
      '-eval',
      `[net_adm:ping(list_to_atom(T)) || T <- [${list}]], timer:sleep(300), halt().`,
    ],
    { env: { HOME: home }, cwd: home, timeoutMs: 60_000 },
  );
  await host.exec(['epmd', '-kill'], { env: { HOME: home } });
  expect(r.code, `erl failed: ${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

function oursIllegal(target: string, mode: NamingMode): boolean {
  try {
    checkDialable(target, mode);
    return false;
  } catch (err) {
    expect((err as { code?: string }).code).toBe('KINDRED_ERR_ILLEGAL_HOSTNAME');
    return true;
  }
}

const CASES: { proto: 'inet_tcp' | 'inet6_tcp'; targets: string[] }[] = [
  {
    proto: 'inet_tcp',
    targets: [
      'n1@localhost',
      'n1@box',
      'n1@other',
      'n1@box.example',
      'n1@a.b.c',
      'n1@127.0.0.1',
      'n1@127.0.0.2',
    ],
  },
  { proto: 'inet6_tcp', targets: ['n1@::1', 'n1@0:0:0:0:0:0:0:1', 'n1@::ffff:127.0.0.1', 'n1@v6host'] },
];

describe('checkDialable agrees with erl', () => {
  for (const mode of ['longnames', 'shortnames'] as const) {
    for (const { proto, targets } of CASES) {
      it(`${mode} over ${proto}: ${targets.join(' ')}`, async () => {
        const log = await erlIllegal(mode, proto, targets);
        const first =
          mode === 'longnames'
            ? '** System running to use fully qualified hostnames **'
            : '** System NOT running to use fully qualified hostnames **';
        const verdicts = new Set<boolean>();
        for (const target of targets) {
          const h = target.slice(target.indexOf('@') + 1);
          const erlSays = log.includes(`** Hostname ${h} is illegal **`);
          verdicts.add(erlSays);
          expect(oursIllegal(target, mode), `${target} under ${mode}`).toBe(erlSays);
          if (erlSays) expect(log).toContain(first);
        }
        // Every case mixes legal and illegal targets, so agreement can't come from erl saying nothing at all.
        expect([...verdicts].sort()).toEqual([false, true]);
      });
    }
  }
});
