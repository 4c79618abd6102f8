import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_ERRORS } from '../src/errors.js';
import {
  assertLabPrerequisites,
  kubeletHostsFile,
  kubeletResolvConf,
  LabNetwork,
  labNames,
  newRunId,
} from '../src/index.js';

// Needs root and iproute2: assertLabPrerequisites fails the suite with a clear message otherwise (never skips).
describe('LabNetwork (real network namespaces)', () => {
  let net: LabNetwork;

  beforeAll(async () => {
    await assertLabPrerequisites();
    net = await LabNetwork.create();
  });

  afterAll(async () => {
    await net?.destroy();
  });

  const serverScript = `
    const net = require('node:net');
    const os = require('node:os');
    const server = net.createServer((s) => s.end(os.hostname() + '\\n'));
    server.listen(7000, process.argv[1], () => console.log('listening'));
  `;
  const clientScript = `
    const net = require('node:net');
    const s = net.connect(7000, process.argv[1]);
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => { process.stdout.write(data); });
    s.on('error', (e) => { console.error(e.code); process.exit(3); });
    s.setTimeout(2000, () => { console.error('TIMEOUT'); process.exit(4); });
  `;

  it('gives each host its hostname, FQDN from the kubelet hosts file, and a TCP path to the other host', async () => {
    const podA = 'simple-web-service-7d9f8b6c5d-x2k4q';
    const podB = 'simple-web-service-7d9f8b6c5d-m8j3z';
    const hostsA = kubeletHostsFile({
      hostname: podA,
      podIps: '10.244.1.2',
      subdomain: 'simple-web-service-headless',
    });
    const a = await net.addHost({
      hostname: podA,
      address: '10.244.1.2',
      hostsFile: hostsA,
      resolvConf: kubeletResolvConf(),
    });
    const b = await net.addHost({ hostname: podB, address: '10.244.1.3' });

    const fqdn = `${podA}.simple-web-service-headless.default.svc.cluster.local`;
    expect((await a.exec(['hostname'])).stdout.trim()).toBe(podA);
    expect((await a.exec(['hostname', '-f'])).stdout.trim()).toBe(fqdn);
    expect((await a.exec(['node', '-p', 'require("node:os").hostname()'])).stdout.trim()).toBe(podA);
    expect((await a.exec(['cat', '/etc/resolv.conf'])).stdout).toBe(kubeletResolvConf());
    expect((await a.exec(['cat', '/etc/hostname'])).stdout).toBe(`${podA}\n`);
    expect((await b.exec(['hostname', '-f'])).stdout.trim()).toBe(podB);
    // The root namespace's hostname is untouched.
    expect(execFileSync('hostname').toString().trim()).not.toBe(podA);

    const server = b.spawn(['node', '-e', serverScript, b.address]);
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
        server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const reply = await a.exec(['node', '-e', clientScript, b.address], { timeoutMs: 10_000 });
      expect(reply.stderr).toBe('');
      expect(reply.stdout.trim()).toBe(podB);
      console.log(`[netns] ${podA} (${a.address}) -> ${podB} (${b.address}:7000): '${reply.stdout.trim()}'`);

      // Partition: the link down cuts B off; heal brings it back.
      await b.setLink(false);
      expect(await b.linkUp()).toBe(false);
      const cut = await a.exec(['node', '-e', clientScript, b.address], { timeoutMs: 10_000 });
      expect(cut.code).not.toBe(0);
      await b.setLink(true);
      const healed = await a.exec(['node', '-e', clientScript, b.address], { timeoutMs: 10_000 });
      expect(healed.stdout.trim()).toBe(podB);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('passes env, input and exit codes through exec and kills on timeout', async () => {
    const c = await net.addHost({ hostname: 'envhost', address: '10.244.1.9' });
    const r = await c.exec(['sh', '-c', 'read x; echo "$FOO-$x"; exit 7'], {
      env: { FOO: 'bar' },
      input: 'baz\n',
    });
    expect(r).toMatchObject({ code: 7, stdout: 'bar-baz\n', timedOut: false });
    const t = await c.exec(['sleep', '30'], { timeoutMs: 300 });
    expect(t.timedOut).toBe(true);
    expect(t.signal).toBe('SIGKILL');
    await c.remove();
    expect(net.host('envhost')).toBeUndefined();
    expect(existsSync(`/etc/netns/${c.netns}`)).toBe(false);
  });

  it('reaches a service address held as an extra address by another host', async () => {
    const dns = await net.addHost({
      hostname: 'dnshost',
      address: '10.244.0.10',
      extraAddresses: ['10.96.0.10/32'],
    });
    const server = dns.spawn(['node', '-e', serverScript, '10.96.0.10']);
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
        server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const pod = net.hosts()[0]!;
      const reply = await pod.exec(['node', '-e', clientScript, '10.96.0.10'], { timeoutMs: 10_000 });
      expect(reply.stdout.trim()).toBe('dnshost');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('rejects bad hosts with a code', async () => {
    await expect(net.addHost({ hostname: 'Bad_Name', address: '10.244.1.50' })).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_BAD_OPTION,
    });
    await expect(net.addHost({ hostname: 'outside', address: '192.168.1.1' })).rejects.toMatchObject({
      code: LAB_ERRORS.LAB_BAD_OPTION,
    });
    await expect(LabNetwork.create({ id: net.id })).rejects.toMatchObject({ code: LAB_ERRORS.LAB_EXISTS });
  });

  it('destroy kills every process and leaves nothing of the run, also for a crashed run reattached by id', async () => {
    const id = newRunId();
    const other = await LabNetwork.create({ id });
    const h = await other.addHost({ hostname: 'leftover', address: '10.244.2.2' });
    const sleeper = h.spawn(['sleep', '300'], { detached: true, stdio: 'ignore' });
    sleeper.unref();
    expect(await h.pids()).toContain(sleeper.pid);
    // Simulate a crash: forget the object, clean up by id only.
    await LabNetwork.destroyById(id);
    await LabNetwork.destroyById(id); // idempotent
    const names = labNames(id);
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(names.netnsPrefix);
    expect(existsSync(`/etc/netns/${h.netns}`)).toBe(false);
    expect(() => process.kill(sleeper.pid!, 0)).toThrow();
  });

  it('destroy of the main network leaves nothing with its id', async () => {
    await net.destroy();
    await net.destroy();
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(net.names.netnsPrefix);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(net.id);
  });
});
