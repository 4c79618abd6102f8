/** The directive patch-corefile.mjs adds. */
export declare const DIRECTIVE: 'endpoint_pod_names';
/** Thrown when the Corefile has no kubernetes plugin, or one this script can't edit safely. */
export declare class CorefileError extends Error {
  readonly code: 'KINDRED_ERR_COREFILE_NO_KUBERNETES' | 'KINDRED_ERR_COREFILE_UNPARSABLE';
  constructor(code: string, message: string);
}
/** Adds endpoint_pod_names to every kubernetes block lacking it; unchanged (same string) when none lacks it. */
export declare function patchCorefile(corefile: string): {
  corefile: string;
  changed: boolean;
  blocks: number;
};
