import { describe, expect, it } from 'vitest';
import { isPgEvent, type PgEvent, Pid, type Ref, RUNTIME_ERRORS, refEquals } from '../src/index.js';
import { idle, memoryCluster, recorder, until } from './support.js';

const cluster = memoryCluster();
const mk = cluster.node;

describe('PgScope membership monitors (pg:monitor_scope/1, pg:monitor/2)', () => {
  const events = (got: unknown[], ref: Ref) =>
    got
      .filter((m): m is PgEvent => isPgEvent(m) && refEquals(m.ref, ref))
      .map((m) => [m.event, m.group, m.pids]);

  it('returns the current groups, then reports local joins, leaves and exits', async () => {
    const a = mk('a');
    const p = idle(a);
    a.pg.join('g', p);
    const w = recorder(a);
    const { ref, groups } = a.pg.monitorScope(w.pid);
    expect([...groups]).toEqual([['g', [p]]]);
    const q = idle(a);
    a.pg.join('h', [q, q]);
    a.pg.leave('h', q);
    a.exit(p, 'kill');
    await until(() => w.got.length === 3);
    expect(events(w.got, ref)).toEqual([
      ['join', 'h', [q, q]],
      ['leave', 'h', [q]],
      ['leave', 'g', [p]],
    ]);
    // Not a local process, not alive, not a group: refused like join.
    expect(() => a.pg.monitorScope(new Pid('other@mem', 1, 0, 1))).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.NOT_LOCAL }),
    );
    expect(() => a.pg.monitor(w.pid, '')).toThrow(
      expect.objectContaining({ code: RUNTIME_ERRORS.RUNTIME_BAD_OPTION }),
    );
  });

  it('a group monitor hears only its group; demonitor stops the events', async () => {
    const a = mk('a');
    const w = recorder(a);
    const first = idle(a);
    a.pg.join('g', first);
    const { ref, pids } = a.pg.monitor(w.pid, 'g');
    expect(pids).toEqual([first]);
    const p = idle(a);
    a.pg.join('h', p);
    a.pg.join('g', p);
    await until(() => w.got.length === 1);
    expect(events(w.got, ref)).toEqual([['join', 'g', [p]]]);
    expect(a.pg.demonitor(ref)).toBe(true);
    expect(a.pg.demonitor(ref)).toBe(false);
    a.pg.leave('g', p);
    // A marker sent after the leave arrives after any event the leave would have caused.
    a.send(w.pid, 'marker');
    await until(() => w.got.length === 2);
    expect(w.got[1]).toBe('marker');
    // The monitoring process stays a member elsewhere: demonitor keeps its memberships.
    a.pg.join('g', w.pid);
    a.pg.monitor(w.pid, 'x');
    a.exit(w.pid, 'kill');
    await until(() => a.pg.members('g').length === 1);
  });

  it('reports a peer’s sync, joins, leaves, exits and nodedown, with the pids', async () => {
    const a = mk('a');
    const b = mk('b');
    const early = idle(b);
    b.pg.join('g', early);
    const w = recorder(a);
    const { ref, groups } = a.pg.monitorScope(w.pid);
    expect(groups.size).toBe(0);
    await a.connect(b.name);
    await until(() => w.got.length === 1);
    const p = idle(b);
    b.pg.join('g', p);
    await until(() => w.got.length === 2);
    b.pg.leave('g', p);
    await until(() => w.got.length === 3);
    b.pg.join('h', p);
    await until(() => w.got.length === 4);
    b.exit(p, 'kill');
    await until(() => w.got.length === 5);
    cluster.net.partition(a.name, b.name);
    await until(() => w.got.length === 6);
    expect(events(w.got, ref)).toEqual([
      ['join', 'g', [early]],
      ['join', 'g', [p]],
      ['leave', 'g', [p]],
      ['join', 'h', [p]],
      ['leave', 'h', [p]],
      ['leave', 'g', [early]],
    ]);
  });

  it('the monitor ends when the monitoring process exits', async () => {
    const a = mk('a');
    const w = recorder(a);
    const { ref } = a.pg.monitorScope(w.pid);
    a.exit(w.pid, 'kill');
    await until(() => !a.isAlive(w.pid));
    expect(a.pg.demonitor(ref)).toBe(false);
  });
});
