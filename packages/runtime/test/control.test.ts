import { describe, expect, it } from 'vitest';
import { OP, OP_NAMES } from '../src/index.js';

describe('control operations', () => {
  it("use Erlang's operation numbers (erts distribution protocol), so the BEAM bridge maps them one to one", () => {
    expect(OP).toEqual({
      LINK: 1,
      SEND: 2,
      EXIT: 3,
      REG_SEND: 6,
      EXIT2: 8,
      MONITOR_P: 19,
      DEMONITOR_P: 20,
      MONITOR_P_EXIT: 21,
      SEND_SENDER: 22,
      SPAWN_REQUEST: 29,
      SPAWN_REPLY: 31,
      UNLINK_ID: 35,
      UNLINK_ID_ACK: 36,
    });
    expect(OP_NAMES[22]).toBe('SEND_SENDER');
  });
});
