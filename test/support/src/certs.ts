import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key, unencrypted: small and fast to make. */
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a self-signed CA (`<name>.crt`, `<name>.key`, valid one day) in `dir` with the openssl CLI. */
export function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
}

/** Where {@link makeCert} writes a certificate and its key, relative to its folder. */
export interface CertPaths {
  /** The certificate (PEM). */
  readonly cert: string;
  /** Its private key (PEM). */
  readonly key: string;
}

/**
 * Makes a certificate for `san` (e.g. `IP:127.0.0.1`), server and client use, valid one day, signed by the CA `ca`
 * made by {@link makeCa} in the same folder `dir`. Written to `out` (default `<name>.crt` and `<name>.key`; their
 * folders must exist); `<name>.ext` and `<name>.csr` are left beside them.
 */
export function makeCert(
  dir: string,
  name: string,
  ca: string,
  san: string,
  out: CertPaths = { cert: `${name}.crt`, key: `${name}.key` },
): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(dir, 'req', ...EC, '-keyout', out.key, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    out.cert,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}
