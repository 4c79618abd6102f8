import { KindredError } from '@kindred/interface';
import { describe, expect, it } from 'vitest';
import { PeerTable, simultaneousWinner } from '../src/peer-table.js';

/** A handshake stand-in that records its abort. */
class FakeHandshake {
  aborted: string | undefined;
  constructor(readonly label: string) {}
  abort(reason: string): void {
    this.aborted = reason;
  }
}

type Info = { direction: 'in' | 'out'; hidden: boolean };
const table = (self: string) => new PeerTable<FakeHandshake, FakeHandshake, string, Info>(self);
const info = (direction: 'in' | 'out', hidden = false): Info => ({ direction, hidden });

describe('simultaneous connect (Erlang dist_util rule)', () => {
  it('the lower name gives up its dial and accepts; the greater keeps its own dial', () => {
    expect(simultaneousWinner('a@h', 'b@h')).toBe('incoming');
    expect(simultaneousWinner('b@h', 'a@h')).toBe('own_dial');
  });

  it('on the lower node: the incoming handshake is accepted ok_simultaneous and its own dial aborted', () => {
    const t = table('a@h');
    const dial = new FakeHandshake('a->b');
    t.dialing('b@h', dial);
    expect(t.state('b@h')).toBe('dialing');
    const incoming = new FakeHandshake('b->a');
    expect(t.claim('b@h', incoming)).toEqual({ accept: 'ok_simultaneous' });
    expect(dial.aborted).toBe('simultaneous');
    expect(t.get('b@h')).toMatchObject({ accepting: incoming, dialing: undefined });
    expect(t.state('b@h')).toBe('accepting');
  });

  it('on the greater node: the incoming handshake is refused nok simultaneous and its own dial goes on', () => {
    const t = table('b@h');
    const dial = new FakeHandshake('b->a');
    t.dialing('a@h', dial);
    expect(t.claim('a@h', new FakeHandshake('a->b'))).toEqual({ refuse: 'nok', reason: 'simultaneous' });
    expect(dial.aborted).toBeUndefined();
    expect(t.state('a@h')).toBe('dialing');
  });

  it('both sides together keep exactly one connection: the one the greater name dialed', () => {
    const a = table('a@h');
    const b = table('b@h');
    const aDial = new FakeHandshake('a->b');
    const bDial = new FakeHandshake('b->a');
    a.dialing('b@h', aDial);
    b.dialing('a@h', bDial);
    const atB = b.claim('a@h', new FakeHandshake('a->b at b'));
    const atA = a.claim('b@h', new FakeHandshake('b->a at a'));
    expect([atA, atB]).toEqual([{ accept: 'ok_simultaneous' }, { refuse: 'nok', reason: 'simultaneous' }]);
    expect([aDial.aborted, bDial.aborted]).toEqual(['simultaneous', undefined]);
  });
});

describe('PeerTable', () => {
  it('refuses a second incoming handshake from the same node as a duplicate', () => {
    const t = table('a@h');
    const first = new FakeHandshake('1');
    expect(t.claim('c@h', first)).toEqual({ accept: 'ok' });
    expect(t.claim('c@h', new FakeHandshake('2'))).toEqual({ refuse: 'nok', reason: 'duplicate' });
    // The same handshake asking again is not its own duplicate.
    expect(t.claim('c@h', first)).toEqual({ accept: 'ok' });
    t.acceptEnded('c@h', first);
    expect(t.get('c@h')).toBeUndefined();
  });

  it('accepts a reconnect beside a live connection as alive; the new connection replaces the old one', () => {
    const t = table('a@h');
    t.up('c@h', 'conn-1', info('in'), 'in');
    const again = new FakeHandshake('again');
    expect(t.claim('c@h', again)).toEqual({ accept: 'alive' });
    t.acceptEnded('c@h', again);
    expect(t.up('c@h', 'conn-2', info('in'), 'in')).toEqual({ replaced: 'conn-1' });
    // The replaced connection's close is not a nodedown: it is no longer the current one.
    expect(t.down('c@h', 'conn-1')).toBe(false);
    expect(t.connection('c@h')).toBe('conn-2');
    expect(t.down('c@h', 'conn-2')).toBe(true);
    expect(t.state('c@h')).toBeUndefined();
  });

  it('an incoming connection that comes up supersedes a dial of ours still in progress', () => {
    const t = table('a@h');
    const dial = new FakeHandshake('a->c');
    t.dialing('c@h', dial);
    expect(t.up('c@h', 'conn', info('in'), 'in')).toEqual({ superseded: dial });
    expect(t.dials()).toEqual([]);
    // An outgoing connection supersedes nothing.
    const u = table('a@h');
    const d2 = new FakeHandshake('a->d');
    u.dialing('d@h', d2);
    expect(u.up('d@h', 'conn', info('out'), 'out')).toEqual({});
  });

  it('forgets a dial or an accept only when it is still the recorded one', () => {
    const t = table('a@h');
    const old = new FakeHandshake('old');
    const current = new FakeHandshake('current');
    t.dialing('c@h', old);
    t.dialing('c@h', current);
    t.dialEnded('c@h', old);
    expect(t.get('c@h')?.dialing).toBe(current);
    t.dialEnded('c@h', current);
    expect(t.get('c@h')).toBeUndefined();
  });

  it('lists connections in the order they came up, hidden ones flagged', () => {
    const t = table('a@h');
    t.wait('z@h', 60_000, () => new KindredError('X', 'x'));
    t.up('c@h', 'c', info('in'), 'in');
    t.up('z@h', 'z', info('out', true), 'out');
    t.up('d@h', 'd', info('out'), 'out');
    t.down('c@h', 'c');
    t.up('c@h', 'c2', info('in'), 'in');
    expect([...t.connections()].map(([n, , i]) => `${n}${i.hidden ? ' (hidden)' : ''}`)).toEqual([
      'z@h (hidden)',
      'd@h',
      'c@h',
    ]);
    t.settle('z@h');
  });

  it('shares one waiter per node; settling resolves or rejects it once', async () => {
    const t = table('a@h');
    const w = t.wait('c@h', 60_000, () => new KindredError('T', 'late'));
    expect(t.waiter('c@h')).toBe(w);
    expect(t.waiting()).toEqual(['c@h']);
    t.settle('c@h');
    await expect(w.promise).resolves.toBeUndefined();
    expect(t.waiter('c@h')).toBeUndefined();
    const failing = t.wait('d@h', 60_000, () => new KindredError('T', 'late'));
    t.settle('d@h', new KindredError('KINDRED_ERR_BAD_COOKIE', 'no'));
    t.settle('d@h');
    await expect(failing.promise).rejects.toMatchObject({ code: 'KINDRED_ERR_BAD_COOKIE' });
    expect(t.get('d@h')).toBeUndefined();
  });

  it("rejects a waiter with its timeout's error when nothing settles it", async () => {
    const t = table('a@h');
    const w = t.wait('c@h', 1, () => new KindredError('KINDRED_ERR_SETUP_TIMEOUT', 'late'));
    await expect(w.promise).rejects.toMatchObject({ code: 'KINDRED_ERR_SETUP_TIMEOUT' });
    expect(t.waiting()).toEqual([]);
  });
});
