// The hostile client spells the runtime's operation numbers itself (it is written from docs/protocol.md, not from the
// runtime's code); this holds the two to the same table, so an attack never targets an operation the runtime renamed.
import { OP as RUNTIME_OP } from '@kindred/runtime';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/messages.js';

describe('the hostile client messages', () => {
  it('use the runtime operation numbers for every operation they build', () => {
    for (const [name, op] of Object.entries(OP)) {
      expect(RUNTIME_OP[name as keyof typeof RUNTIME_OP], name).toBe(op);
    }
  });
});
