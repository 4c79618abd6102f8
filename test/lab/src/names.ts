import { randomInt } from 'node:crypto';

/**
 * The alphabet Kubernetes uses for generated names (`rand.String`, and `SafeEncodeString` for the pod-template-hash):
 * consonants and digits without vowels or look-alikes, so no generated name spells a word.
 */
export const KUBE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomKubeString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += KUBE_NAME_ALPHABET[randomInt(KUBE_NAME_ALPHABET.length)];
  return out;
}

/** A pod-template-hash like a ReplicaSet's (`7d9f8b6c5d`): 10 characters of {@link KUBE_NAME_ALPHABET}. */
export function podTemplateHash(): string {
  return randomKubeString(10);
}

/**
 * A Deployment pod name, `<deployment>-<hash>-<5 chars>` (the ReplicaSet's `generateName` plus 5 random characters),
 * cut like the API server cuts generateName so the result stays within 63 characters.
 */
export function deploymentPodName(deployment: string, templateHash: string): string {
  const prefix = `${deployment}-${templateHash}-`;
  return `${prefix.slice(0, 58)}${randomKubeString(5)}`;
}

/** A pod's FQDN with `subdomain` set: `<hostname>.<subdomain>.<namespace>.svc.<clusterDomain>`. */
export function podFqdn(
  hostname: string,
  subdomain: string,
  namespace: string,
  clusterDomain: string,
): string {
  return `${hostname}.${subdomain}.${namespace}.svc.${clusterDomain}`;
}
