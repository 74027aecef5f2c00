// What the standalone benches (bench/gemm.mjs, muon.mjs, adafactor.mjs, ...)
// share on the command line: `--key=value` / `--flag` arguments, and running
// again under the V8 flags a bench needs when they are not set yet.
import { spawnSync } from 'node:child_process';

/** `--rounds=7 --quick` -> { rounds: '7', quick: true } */
export function parseFlags(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k, v ?? true]; }));
}

/** Runs this script again under `flags` (e.g. --no-liftoff) unless they are set, and exits with its status. */
export function relaunchWith(flags) {
  if (flags.every((f) => process.execArgv.includes(f))) return;
  const { status } = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(status ?? 1);
}
