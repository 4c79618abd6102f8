import { describe, expect, it } from 'vitest';
import { deploymentPodName, KUBE_NAME_ALPHABET, podFqdn, podTemplateHash } from '../src/index.js';

describe('Deployment pod names', () => {
  it('look like a ReplicaSet pod: <deployment>-<10-char hash>-<5 chars> from the Kubernetes alphabet', () => {
    const hash = podTemplateHash();
    expect(hash).toMatch(new RegExp(`^[${KUBE_NAME_ALPHABET}]{10}$`));
    const name = deploymentPodName('simple-web-service', hash);
    expect(name).toMatch(new RegExp(`^simple-web-service-${hash}-[${KUBE_NAME_ALPHABET}]{5}$`));
  });

  it('differ from one pod to the next', () => {
    const hash = podTemplateHash();
    const names = new Set(Array.from({ length: 50 }, () => deploymentPodName('web', hash)));
    expect(names.size).toBeGreaterThan(45);
  });

  it('stay within 63 characters for a long Deployment name, like generateName', () => {
    const name = deploymentPodName('d'.repeat(80), podTemplateHash());
    expect(name.length).toBe(63);
  });

  it('compose the FQDN a pod with a subdomain gets', () => {
    expect(podFqdn('web-1', 'web-headless', 'prod', 'cluster.local')).toBe(
      'web-1.web-headless.prod.svc.cluster.local',
    );
  });
});
