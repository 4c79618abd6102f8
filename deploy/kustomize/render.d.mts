/** The kit's directory (deploy/kustomize). */
export declare const KIT_DIR: string;
/** Where the rendered example lives (deploy/k8s). */
export declare const EXAMPLE_DIR: string;
/** The overlay the example is rendered from. */
export declare const EXAMPLE_OVERLAY: 'fqdn';
/** The cookie a render outside a real deployment uses; never a real one. */
export declare const PLACEHOLDER_COOKIE: string;
/** What an outer kustomization sets around an overlay, and the kubectl to use. */
export interface RenderOptions {
  readonly kubectl?: string;
  readonly namePrefix?: string;
  readonly nameSuffix?: string;
  readonly namespace?: string;
  /** Components of the kit (components/NAME), added by a kustomization above the naming one. */
  readonly components?: readonly string[];
}
/** The path of a kubectl with kustomize v5 (scripts/kubectl.sh). */
export declare function kubectlPath(): Promise<string>;
/** Renders overlays/`overlay` (with an outer kustomization when options ask for one); resolves to kubectl's output. */
export declare function renderOverlay(overlay: string, options?: RenderOptions): Promise<string>;
/** Parses kubectl's multi-document output into objects. */
export declare function parseObjects(text: string): Record<string, unknown>[];
/** The rendered example: file name -> text, exactly what deploy/k8s should hold. */
export declare function renderExample(options?: RenderOptions): Promise<Map<string, string>>;
