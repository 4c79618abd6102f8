import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHostile, HandshakeFailed } from '../src/client.js';
import { versionFromEnv, wireProfile } from '../src/wire.js';
import { controls, probe, Victim } from './victim.js';

// The client against a real node: a handshake of its own that the node accepts, tagged frames the node decodes and
// answers, and the node's refusals read as such. KINDRED_HOSTILE_VERSION=1 runs it against a version-1 node.
describe('hostile client against kindred start', () => {
  let v: Victim;
  beforeAll(async () => {
    v = await Victim.start('cli');
  });
  afterAll(async () => {
    await v?.stop();
  });

  it('completes the handshake, gets the mesh and pg greetings, and rex answers its call', async () => {
    const s = await v.session();
    expect(s.profile.version).toBe(versionFromEnv());
    expect(await probe(s)).toBe(true);
    // On nodeup a runtime node tells its peers whom it knows (kindred_net) and discovers their pg scopes.
    const regSends = controls(s)
      .filter((c) => c[0] === 6)
      .map((c) => c[3]);
    expect(regSends).toEqual(expect.arrayContaining(['kindred_net', 'pg']));
    expect(s.badFrames).toBe(0);
    await s.close();
  });

  it('is refused with 4003 for a wrong cookie, and notices a node that calls itself otherwise', async () => {
    const common = { port: v.port, name: 'wrong@127.0.0.1', profile: wireProfile(versionFromEnv()) };
    const bad = await connectHostile({ ...common, target: v.name, cookie: 'not-the-cookie' }).catch((e) => e);
    expect(bad).toBeInstanceOf(HandshakeFailed);
    expect((bad as HandshakeFailed).close?.code).toBe(4003);
    const other = await connectHostile({ ...common, target: 'other@127.0.0.1', cookie: v.cookie }).catch(
      (e) => e,
    );
    expect((other as HandshakeFailed).message).toMatch(/CHALLENGE from victim/);
    await v.expectHealthy();
  });
});
