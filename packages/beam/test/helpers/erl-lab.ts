// One private epmd per test file, with JS nodes and erl nodes that the file's afterAll stops: the set-up every
// integration test against real erl starts with.
import { afterAll, beforeAll } from 'vitest';
import { Erl, type Proc, runId, startEpmd } from './erl.js';
import { JsNode } from './js-node.js';

/** What {@link useErlLab} gives a test file. */
export interface ErlLab {
  /** A run id for unique node names. */
  readonly id: string;
  /** The cookie every node of the file shares unless told otherwise. */
  readonly cookie: string;
  /** The file's epmd (after beforeAll). */
  readonly epmd: { port: number; proc: Proc; env: NodeJS.ProcessEnv };
  /** Runs `f` in afterAll, last registered first. */
  cleanup(f: () => Promise<void>): void;
  /** A started JS node registered with the file's epmd. */
  jsNode(name: string, extra?: Partial<ConstructorParameters<typeof JsNode>[0]>): Promise<JsNode>;
  /** A started erl node using the file's epmd, with `extra` erl arguments and cookie `c`. */
  erl(name: string, extra?: string[], c?: string): Promise<Erl>;
}

/** Registers the file's beforeAll (start epmd) and afterAll (stop every node, then epmd). */
export function useErlLab(): ErlLab {
  const id = runId();
  const cookie = `c_${id}`;
  let epmd: ErlLab['epmd'] | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    epmd = await startEpmd();
  });
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
    await epmd?.proc.stop();
  });
  const lab: ErlLab = {
    id,
    cookie,
    get epmd() {
      if (epmd === undefined) throw new Error('the erl lab starts its epmd in beforeAll');
      return epmd;
    },
    cleanup: (f) => {
      cleanups.push(f);
    },
    async jsNode(name, extra = {}) {
      const node = new JsNode({ name, cookie, epmdPort: lab.epmd.port, listenHost: '127.0.0.1', ...extra });
      cleanups.push(() => node.close());
      return node.start();
    },
    async erl(name, extra = [], c = cookie) {
      const e = await Erl.start(name, c, lab.epmd.env, extra);
      cleanups.push(() => e.stop());
      return e;
    },
  };
  return lab;
}
