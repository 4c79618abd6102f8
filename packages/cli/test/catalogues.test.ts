// Every package's error catalogue is named `<PKG>_ERRORS` and keyed the same way: key = code minus `KINDRED_ERR_`,
// so `DNS_ERRORS.DNS_NXDOMAIN` is 'KINDRED_ERR_DNS_NXDOMAIN' and a reader never has to look a key up. The CLI sits
// above every package, so the check lives here.
import { BEAM_ERRORS } from '@kindred/beam';
import { DISCOVERY_ERRORS } from '@kindred/discovery';
import { DNS_ERRORS } from '@kindred/dns';
import { LAB_ERRORS } from '@kindred/lab';
import { NODE_IDENTITY_ERRORS } from '@kindred/node-identity';
import { RUNTIME_ERRORS } from '@kindred/runtime';
import { TRANSPORT_ERRORS } from '@kindred/transport';
import { describe, expect, it } from 'vitest';
import { CLI_ERRORS } from '../src/command.js';

const CATALOGUES: Record<string, Readonly<Record<string, string>>> = {
  DNS_ERRORS,
  NODE_IDENTITY_ERRORS,
  DISCOVERY_ERRORS,
  TRANSPORT_ERRORS,
  RUNTIME_ERRORS,
  CLI_ERRORS,
  LAB_ERRORS,
  BEAM_ERRORS,
};

describe('error catalogues', () => {
  for (const [name, catalogue] of Object.entries(CATALOGUES)) {
    it(`${name}: frozen, every key is its code minus KINDRED_ERR_, no code twice`, () => {
      expect(Object.isFrozen(catalogue)).toBe(true);
      for (const [key, code] of Object.entries(catalogue)) expect(code, key).toBe(`KINDRED_ERR_${key}`);
      expect(new Set(Object.values(catalogue)).size).toBe(Object.keys(catalogue).length);
    });
  }
});
