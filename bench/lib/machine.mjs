// What the figures were measured on: recorded with every run, so a busy or small machine is visible in the results.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { otpRelease } from './erlang.mjs';

export function machineInfo() {
  let otp = null;
  try {
    otp = otpRelease();
  } catch {
    otp = 'erl not found';
  }
  let nproc = availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {}
  return {
    nproc,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    otp,
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
