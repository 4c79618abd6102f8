// The handshake's refusals against real erl 25: wrong cookie both ways, a name that is not the one dialed, name
// legality, a missing mandatory flag. Each with what erl prints and what kindred reports.

import { NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { describe, expect, it } from 'vitest';
import { BEAM_NET_ERRORS, DFLAG, KINDRED_DIST_FLAGS } from '../../src/index.js';
import { useErlLab } from '../helpers/erl-lab.js';
import { memoryLogger } from '../helpers/js-node.js';

const lab = useErlLab();
const { id, cookie } = lab;
const jsNode = lab.jsNode;
/** An erl node; `c` its cookie when not the file's. */
const erl = (name: string, c = cookie) => lab.erl(name, [], c);

describe('the handshake against real erl', () => {
  it("(c) wrong cookie, erl dials: pang, and the JS acceptor logs erl's line", async () => {
    const logger = memoryLogger();
    const js = await jsNode(`jwc_${id}@127.0.0.1`, { logger });
    const e = await erl(`ewc_${id}@127.0.0.1`, `other_${id}`);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pang');
    expect(logger.lines.map((l) => l.msg)).toContain(
      `** Connection attempt from node '${e.name}' rejected. Invalid challenge reply. **`,
    );
    expect(js.endpoint.nodes()).toEqual([]);
  });

  it('(c) wrong cookie, JS dials: bad_cookie, and erl logs "Invalid challenge reply."', async () => {
    const js = await jsNode(`jwd_${id}@127.0.0.1`);
    const e = await erl(`ewd_${id}@127.0.0.1`, `other_${id}`);
    await expect(js.endpoint.connect(e.name)).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
      details: { reason: 'bad_cookie' },
    });
    await e.proc.waitFor(/Invalid challenge reply/);
    expect(await e.eval('nodes()')).toBe('[]');
  });

  it('(d) JS dials n@127.0.0.1 when erl calls itself n@<another host>: name_mismatch (pang)', async () => {
    const js = await jsNode(`jnm_${id}@127.0.0.1`);
    const alive = `enm_${id}`;
    await erl(`${alive}@elsewhere.example`);
    await expect(js.endpoint.connect(`${alive}@127.0.0.1`)).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
      details: { reason: 'name_mismatch', answered: `${alive}@elsewhere.example` },
    });
  });

  it('(d) erl dials js@127.0.0.1 when the JS node calls itself js@<another host>: pang', async () => {
    const alive = `jnn_${id}`;
    await jsNode(`${alive}@elsewhere.example`);
    const e = await erl(`enn_${id}@127.0.0.1`);
    expect(await e.eval(`net_adm:ping('${alive}@127.0.0.1')`)).toBe('pang');
  });

  it('long names refuse short hosts and localhost on both sides', async () => {
    const js = await jsNode(`jln_${id}@127.0.0.1`);
    const e = await erl(`eln_${id}@127.0.0.1`);
    await expect(js.endpoint.connect(`eln_${id}@localhost`)).rejects.toMatchObject({
      code: NODE_IDENTITY_ERRORS.ILLEGAL_HOSTNAME,
    });
    expect(await e.eval(`net_adm:ping('jln_${id}@localhost')`)).toBe('pang');
    await e.proc.waitFor(/Hostname localhost is illegal/);
  });

  it("a JS node without BIG_CREATION is refused by erl with erl's message, both ways", async () => {
    const flags = KINDRED_DIST_FLAGS & ~DFLAG.BIG_CREATION & ~DFLAG.MANDATORY_25_DIGEST;
    const js = await jsNode(`jmf_${id}@127.0.0.1`, { flags });
    const e = await erl(`emf_${id}@127.0.0.1`);
    await expect(js.endpoint.connect(e.name)).rejects.toMatchObject({
      code: BEAM_NET_ERRORS.BEAM_HANDSHAKE,
      details: { reason: 'not_allowed' },
    });
    await e.proc.waitFor(/rejected since it cannot handle \["BIG_CREATION"\]/);
    expect(await e.eval(`net_adm:ping('${js.name}')`)).toBe('pang');
    await e.proc.waitFor(/aborted since it cannot handle \["BIG_CREATION"\]/);
  });
});
