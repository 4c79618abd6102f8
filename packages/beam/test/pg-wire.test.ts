import { describe, expect, it } from 'vitest';
import {
  atom,
  decodeTerm,
  encodeTerm,
  groupName,
  groupTerm,
  Pid,
  pgPayload,
  readPg,
  type Term,
  Tuple,
  termEquals,
} from '../src/index.js';

const self = new Pid(atom('k@127.0.0.1'), 1, 8190, 7);
const peer = new Pid(atom('e@127.0.0.1'), 90, 0, 3);
const a = new Pid(atom('k@127.0.0.1'), 41, 0, 7);
const b = new Pid(atom('k@127.0.0.1'), 42, 0, 7);
const asIs = (v: unknown): Term => v as Term;
/** Through the codec, as the wire would. */
const wire = (t: Term): Term => decodeTerm(encodeTerm(t));

describe("OTP pg's messages", () => {
  it("are written in pg.erl's shapes", () => {
    expect(termEquals(pgPayload(self, { type: 'discover' }, asIs), new Tuple([atom('discover'), self]))).toBe(
      true,
    );
    const sync = pgPayload(self, { type: 'sync', groups: [['room', [a, b]]] }, asIs);
    expect(
      termEquals(
        sync,
        new Tuple([atom('$gen_cast'), new Tuple([atom('sync'), self, [new Tuple([atom('room'), [a, b]])]])]),
      ),
    ).toBe(true);
    const join = pgPayload(self, { type: 'join', group: 'room', pids: [a] }, asIs);
    expect(termEquals(join, new Tuple([atom('join'), self, atom('room'), [a]]))).toBe(true);
    const leave = pgPayload(self, { type: 'leave', group: 'room', pids: [a, b] }, asIs);
    expect(termEquals(leave, new Tuple([atom('leave'), self, [a, b], [atom('room')]]))).toBe(true);
  });

  it('are read back from the wire, single pids and lists of groups included', () => {
    const sync = pgPayload(
      self,
      {
        type: 'sync',
        groups: [
          ['room', [a]],
          ['lobby', [a, b]],
        ],
      },
      asIs,
    );
    expect(readPg(wire(sync))).toEqual({
      peer: self,
      messages: [
        {
          type: 'sync',
          groups: [
            ['room', [a]],
            ['lobby', [a, b]],
          ],
        },
      ],
      dropped: 0,
    });
    // erl's join of one pid: {join, Peer, Group, Pid}; a leave of one pid from several groups.
    expect(readPg(wire(new Tuple([atom('join'), peer, atom('g'), a])))?.messages).toEqual([
      { type: 'join', group: 'g', pids: [a] },
    ]);
    expect(readPg(wire(new Tuple([atom('leave'), peer, a, [atom('g'), atom('h')]])))?.messages).toEqual([
      { type: 'leave', group: 'g', pids: [a] },
      { type: 'leave', group: 'h', pids: [a] },
    ]);
    expect(readPg(wire(new Tuple([atom('discover'), peer]))))?.toEqual({
      peer,
      messages: [{ type: 'discover' }],
      dropped: 0,
    });
  });

  it('group names: atoms, binaries past 255 characters, and UTF-8 binaries from a peer', () => {
    expect(groupTerm('room')).toEqual(atom('room'));
    const long = 'x'.repeat(256);
    expect(groupTerm(long)).toEqual(Buffer.from(long));
    expect(groupName(atom('room'))).toBe('room');
    expect(groupName(Buffer.from('é'))).toBe('é');
    expect(groupName(new Tuple([atom('a')]))).toBeUndefined();
    expect(groupName(3)).toBeUndefined();
  });

  it('drops and counts entries that are not pids or group names; other terms are not pg messages', () => {
    const sync = new Tuple([
      atom('$gen_cast'),
      new Tuple([atom('sync'), peer, [new Tuple([atom('g'), [a, 5]]), new Tuple([7, [a]]), atom('junk')]]),
    ]);
    expect(readPg(sync)).toEqual({ peer, messages: [{ type: 'sync', groups: [['g', [a]]] }], dropped: 3 });
    expect(readPg(new Tuple([atom('join'), peer, 9, [a]]))).toEqual({ peer, messages: [], dropped: 1 });
    for (const t of [
      undefined,
      atom('discover'),
      new Tuple([atom('discover'), atom('notapid')]),
      new Tuple([atom('hello'), peer]),
      new Tuple([atom('leave'), peer, [a], atom('notalist')]),
      new Tuple([atom('$gen_cast'), new Tuple([atom('sync'), peer, atom('notalist')])]),
    ] as (Term | undefined)[]) {
      expect(readPg(t)).toBeUndefined();
    }
  });
});
