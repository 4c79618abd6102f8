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
  type HeadlessServiceModelOptions,
  headlessServiceModel,
} from './coredns-zone.js';
export { LAB_DEFAULTS } from './defaults.js';
export {
  DNS_SERVER_DEFAULTS,
  type DnsListen,
  type DnsServer,
  type DnsServerOptions,
  type DnsZone,
  freeDnsPort,
  startDnsServer,
} from './dns-server.js';
export {
  compileErlangApp,
  ERLANG_APP_SOURCES,
  type ErlangDeploymentOptions,
  erlangDeployment,
  KINDRED_MIXED_APP,
} from './erlang-app.js';
export { LAB_ERRORS } from './errors.js';
export {
  expandEnvValue,
  type HostAlias,
  type KubeletHostsOptions,
  type KubeletResolvConfOptions,
  kubeletHostsFile,
  kubeletResolvConf,
} from './kubelet.js';
export {
  APP_MAIN,
  Lab,
  type LabDeploymentOptions,
  type LabEvent,
  type LabOptions,
  type LabStatus,
  type PodPhase,
  type PodStatus,
  REPO_ROOT,
  type Readiness,
} from './lab.js';
export { type LabDns, type LabDnsModel, labZoneText, startLabDns } from './lab-dns.js';
export { deploymentPodName, KUBE_NAME_ALPHABET, podFqdn, podTemplateHash } from './names.js';
export {
  NEIGHBOUR_SYSCTLS,
  type NeighbourLimits,
  type NeighbourLimitsOptions,
  type NeighbourSysctl,
  neighbourLimitsFor,
  raiseNeighbourLimits,
  releaseNeighbourLimits,
} from './neighbour-limits.js';
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
export { type ProbeResponse, Prober } from './prober.js';
