import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../src/certs.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kindred-certs-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x509 = (path: string) => new X509Certificate(readFileSync(join(dir, path)));

describe('makeCa / makeCert', () => {
  it('signs a certificate for the SAN with the CA, and not with another CA', () => {
    makeCert(dir, 'a', 'ca', 'IP:127.0.0.1');
    const cert = x509('a.crt');
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(cert.verify(x509('ca.crt').publicKey)).toBe(true);
    expect(cert.verify(x509('other-ca.crt').publicKey)).toBe(false);
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'a.key'))))).toBe(true);
  });

  it('writes to the paths given', () => {
    mkdirSync(join(dir, 'b'));
    makeCert(dir, 'b', 'ca', 'DNS:b.example', { cert: 'b/tls.crt', key: 'b/tls.key' });
    expect(x509('b/tls.crt').subjectAltName).toBe('DNS:b.example');
    expect(x509('b/tls.crt').checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'b/tls.key'))))).toBe(
      true,
    );
  });
});
