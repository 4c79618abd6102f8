/**
 * Erlang distribution control messages (erts "Distribution Protocol", section "Protocol between connected nodes"),
 * with Erlang's operation numbers, so a BEAM bridge maps each to the same tuple in External Term Format.
 * On the wire a frame is `[control]` or `[control, payload]`: exactly Erlang's "control message followed by an
 * optional message". Atoms are strings; `''` stands for Erlang's unused field.
 */
export const OP = Object.freeze({
  /** `{1, FromPid, ToPid}` */
  LINK: 1,
  /** `{2, Unused, ToPid}` + Message */
  SEND: 2,
  /** `{3, FromPid, ToPid, Reason}`: the exit signal of a broken link. */
  EXIT: 3,
  /** `{6, FromPid, Unused, ToName}` + Message */
  REG_SEND: 6,
  /** `{8, FromPid, ToPid, Reason}`: exit/2. */
  EXIT2: 8,
  /** `{19, FromPid, ToProc, Ref}`: ToProc is a pid or a registered name. */
  MONITOR_P: 19,
  /** `{20, FromPid, ToProc, Ref}` */
  DEMONITOR_P: 20,
  /** `{21, FromProc, ToPid, Ref, Reason}` */
  MONITOR_P_EXIT: 21,
  /** `{22, FromPid, ToPid}` + Message */
  SEND_SENDER: 22,
  /** `{29, ReqId, From, GroupLeader, {Module, Function, Arity}, OptList}` + ArgList: spawn on the remote node. */
  SPAWN_REQUEST: 29,
  /** `{31, ReqId, To, Flags, Result}`: Result is the new pid or an error atom. */
  SPAWN_REPLY: 31,
  /** `{35, Id, FromPid, ToPid}` */
  UNLINK_ID: 35,
  /** `{36, Id, FromPid, ToPid}` */
  UNLINK_ID_ACK: 36,
});

/** Names of the operations, for logs and docs. */
export const OP_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])),
);
