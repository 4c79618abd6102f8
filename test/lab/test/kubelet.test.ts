import { describe, expect, it } from 'vitest';
import { expandEnvValue, kubeletHostsFile, kubeletResolvConf } from '../src/index.js';

describe('kubelet files', () => {
  it('writes the hosts file of a pod with a subdomain exactly as kubelet does', () => {
    const text = kubeletHostsFile({
      hostname: 'web-5d9c-x2k4q',
      podIps: '10.244.1.5',
      subdomain: 'web-headless',
    });
    expect(text).toBe(
      '# Kubernetes-managed hosts file.\n' +
        '127.0.0.1\tlocalhost\n' +
        '::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\n' +
        'fe00::0\tip6-mcastprefix\n' +
        'fe00::1\tip6-allnodes\n' +
        'fe00::2\tip6-allrouters\n' +
        '10.244.1.5\tweb-5d9c-x2k4q.web-headless.default.svc.cluster.local\tweb-5d9c-x2k4q\n',
    );
  });

  it('writes only the short name without a subdomain, and host aliases after their header', () => {
    const text = kubeletHostsFile({
      hostname: 'solo',
      podIps: ['10.244.1.6'],
      namespace: 'prod',
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
    });
    expect(
      text.endsWith('10.244.1.6\tsolo\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n'),
    ).toBe(true);
  });

  it('cuts the hostname to 63 characters like the pod name', () => {
    const long = 'a'.repeat(70);
    expect(kubeletHostsFile({ hostname: long, podIps: '10.244.1.7' })).toContain(
      `10.244.1.7\t${'a'.repeat(63)}\n`,
    );
  });

  it('writes a ClusterFirst resolv.conf', () => {
    expect(kubeletResolvConf()).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(
      kubeletResolvConf({ namespace: 'prod', clusterDomain: 'k8s.test', nameservers: ['10.0.0.10'] }),
    ).toBe('search prod.svc.k8s.test svc.k8s.test k8s.test\nnameserver 10.0.0.10\noptions ndots:5\n');
  });
});

describe("kubelet's $(VAR) expansion of env values", () => {
  it('expands variables defined earlier, keeps unknown references, and turns $$ into $', () => {
    const defined = { POD_IP: '10.244.1.5', KINDRED_SERVICE: 'web-headless' };
    expect(expandEnvValue('$(POD_IP)', defined)).toBe('10.244.1.5');
    expect(expandEnvValue('dns-a:$(KINDRED_SERVICE)', defined)).toBe('dns-a:web-headless');
    expect(expandEnvValue('$(NOT_YET)', defined)).toBe('$(NOT_YET)');
    expect(expandEnvValue('$$(POD_IP) costs $$5', defined)).toBe('$(POD_IP) costs $5');
    expect(expandEnvValue('plain', defined)).toBe('plain');
  });
});
