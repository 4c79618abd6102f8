/** A parsed YAML or JSON object. */
export type Obj = Record<string, unknown>;

/** Walks a parsed YAML tree by keys and array indexes; undefined when a step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Obj)[key as string];
  }
  return v;
}

/** `v` if it is an array (of objects), else an empty one. */
export const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
