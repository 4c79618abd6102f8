import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeCert } from '@kindred/test-support';

export { makeCa } from '@kindred/test-support';

/**
 * Writes a TLS Secret's files as a volume would hold them (`<dir>/<name>/tls.crt`, `tls.key`, `ca.crt`): a certificate
 * for `san` (e.g. `IP:127.0.0.1`), server and client use, signed by the CA `ca` made by `makeCa`. Returns the folder.
 */
export function makeSecretDir(dir: string, name: string, ca: string, san: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  makeCert(dir, name, ca, san, { cert: `${name}/tls.crt`, key: `${name}/tls.key` });
  execFileSync('openssl', ['x509', '-in', `${ca}.crt`, '-out', `${name}/ca.crt`], {
    cwd: dir,
    stdio: 'pipe',
  });
  return out;
}
