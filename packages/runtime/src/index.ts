export { isKindredError, KindredError } from '@kindred/dns';
export type {
  CallOptions,
  MessageHandler,
  NodeApi,
  Pattern,
  ProcessContext,
  ProcessFn,
  ReceiveOptions,
  SpawnOptions,
} from './api.js';
export { beamRpcHandler, createRuntimeBeamDistribution, RUNTIME_BEAM_ADAPTER } from './beam-wire.js';
export { OP, OP_NAMES } from './control.js';
export { RUNTIME_DEFAULTS } from './defaults.js';
export {
  type CallTraceContext,
  childTraceparent,
  currentTraceparent,
  DIAGNOSTICS_CHANNELS,
  isTraceparent,
  type NodedownEvent,
  type NodeupEvent,
  type RpcTraceContext,
  type SendTraceContext,
  type SpawnOnTraceContext,
  traceIdOf,
  withTraceContext,
} from './diagnostics.js';
export type { Distribution, DistributionPeerStats } from './distribution.js';
export { ProcessExitedError, RUNTIME_ERRORS } from './errors.js';
export {
  type GlobalChange,
  GlobalNames,
  type GlobalRegisterOptions,
  type GlobalResolve,
  type GlobalStats,
  globalNameConflict,
} from './global.js';
export { MEMORY_MESSAGE_OVERHEAD_BYTES, MemoryEndpoint, MemoryNetwork } from './memory-distribution.js';
export {
  type CallMessage,
  type CrashReason,
  crashReason,
  type Dest,
  type DownMessage,
  type ExitMessage,
  type From,
  isCallMessage,
  isDownMessage,
  isExitMessage,
  isNodeEvent,
  isReplyMessage,
  type NodeEvent,
  type ReplyMessage,
  TIMEOUT,
  type Timeout,
} from './messages.js';
export { createNode, KNode, type NodeOptions, type NodeStats } from './node.js';
export {
  type GroupSnapshot,
  type NodeSnapshot,
  OBSERVE_LIST_MAX,
  OBSERVE_MAX_PROCESSES,
  type ObserveOptions,
  type PeerSnapshot,
  type ProcessSnapshot,
} from './observer.js';
export { isPgEvent, type PgEvent, PgScope, type PgStats } from './pg.js';
export {
  type CallResult,
  type CastMessage,
  type CastResult,
  cast,
  type InitResult,
  isCastMessage,
  type ServerBehaviour,
  type StartServerOptions,
  startServer,
  stopServer,
} from './server.js';
export { type CallSpec, type PlainDest, type ReplyTo, type ServerRef, serverRef } from './server-ref.js';
export { Singleton, type SingletonSpec } from './singleton.js';
export { StartedNode, type StartNodeOptions, startNode } from './start-node.js';
export {
  countChildren,
  deleteChild,
  restartChild,
  startChild,
  startSupervisor,
  terminateChild,
  whichChildren,
} from './supervisor.js';
export {
  type ChildCounts,
  type ChildInfo,
  type ChildSpec,
  isNormalExit,
  type RestartType,
  type ShutdownSpec,
  type StartSupervisorOptions,
  type Strategy,
  type SupervisorSpec,
} from './supervisor-spec.js';
export {
  isPid,
  isRef,
  PID_EXT_TYPE,
  Pid,
  pidEquals,
  pidKey,
  REF_EXT_TYPE,
  Ref,
  refEquals,
  refKey,
  toPid,
  toRef,
} from './terms.js';
