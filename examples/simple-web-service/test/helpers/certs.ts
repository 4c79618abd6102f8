import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA (`<name>.crt`, `<name>.key`) in `dir` with the openssl CLI. */
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

/**
 * Writes a TLS Secret's files as a volume would hold them (`<dir>/<name>/tls.crt`, `tls.key`, `ca.crt`): a certificate
 * for `san` (e.g. `IP:127.0.0.1`), server and client use, signed by the CA `ca` made by {@link makeCa}. Returns the folder.
 */
export function makeSecretDir(dir: string, name: string, ca: string, san: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(dir, 'req', ...EC, '-keyout', `${name}/tls.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
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
    `${name}/tls.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
  openssl(dir, 'x509', '-in', `${ca}.crt`, '-out', `${name}/ca.crt`);
  return out;
}
