export {
  COREDNS_ZONE_DEFAULTS,
  type CorednsEndpoint,
  type CorednsModel,
  type CorednsPod,
  type CorednsPort,
  type CorednsService,
  corednsEndpointName,
  corednsZone,
  dashedIp,
} from './coredns-zone.js';
export { LAB_DEFAULTS } from './defaults.js';
export {
  type DnsListen,
  type DnsServer,
  type DnsServerOptions,
  type DnsZone,
  startDnsServer,
} from './dns-server.js';
export {
  type HostAlias,
  type KubeletHostsOptions,
  type KubeletResolvConfOptions,
  kubeletHostsFile,
  kubeletResolvConf,
} from './kubelet.js';
export {
  type AddHostOptions,
  assertLabPrerequisites,
  type ExecOptions,
  type ExecResult,
  type HostSpawnOptions,
  LabHost,
  type LabHostState,
  type LabNames,
  LabNetwork,
  type LabNetworkOptions,
  type LabNetworkState,
  labNames,
  newRunId,
} from './netns.js';
