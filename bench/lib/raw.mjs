// Driver for the raw ws + msgpackr baseline (bench/raw/ws-peer.mjs): receiver and sender as separate processes.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './proc.mjs';

const PEER = join(dirname(fileURLToPath(import.meta.url)), '..', 'raw', 'ws-peer.mjs');

/** One-way throughput and round trip over raw ws + msgpackr with `batch` messages per frame. */
export async function runRaw({ batch, messages, rounds, zeroMask = false, env, timeoutMs = 180_000 }) {
  const recv = start(process.execPath, [PEER, 'receiver'], env ? { env } : {});
  try {
    const [, port] = await recv.waitFor(/^READY (\d+)$/, 15_000, 'READY');
    const send = start(
      process.execPath,
      [
        PEER,
        'sender',
        port,
        String(batch),
        String(messages),
        String(rounds),
        ...(zeroMask ? ['zero-mask'] : []),
      ],
      env ? { env } : {},
    );
    try {
      const [, json] = await send.waitFor(/^RESULT (.*)$/, timeoutMs, 'the RESULT line');
      return { batch, ...(zeroMask ? { zeroMask } : {}), ...JSON.parse(json) };
    } finally {
      await send.stop();
    }
  } finally {
    await recv.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const batch = Number(process.argv[2] ?? 1);
  const messages = Number(process.argv[3] ?? 20_000);
  const rounds = Number(process.argv[4] ?? 2_000);
  console.log(JSON.stringify(await runRaw({ batch, messages, rounds })));
}
