import { KindredError } from '@kindred/dns';
import { describe, expect, it } from 'vitest';
import { crashReason, isCallMessage, isDownMessage, isExitMessage, isNodeEvent } from '../src/index.js';

describe('messages', () => {
  it('crashReason keeps name, message and code, and wraps non-errors', () => {
    expect(crashReason(new TypeError('t'))).toEqual({ error: 'TypeError', message: 't' });
    expect(crashReason(new KindredError('KINDRED_ERR_X', 'm'))).toEqual({
      error: 'KindredError',
      message: 'm',
      code: 'KINDRED_ERR_X',
    });
    expect(crashReason('boom')).toEqual({ error: 'throw', value: 'boom' });
  });

  it('predicates recognise only their tag', () => {
    const all = [
      { type: 'EXIT' },
      { type: 'DOWN' },
      { type: '$gen_call' },
      { type: 'nodeup' },
      { type: 'nodedown' },
      null,
      'EXIT',
      42,
    ];
    expect(all.filter(isExitMessage)).toHaveLength(1);
    expect(all.filter(isDownMessage)).toHaveLength(1);
    expect(all.filter(isCallMessage)).toHaveLength(1);
    expect(all.filter(isNodeEvent)).toHaveLength(2);
  });
});
