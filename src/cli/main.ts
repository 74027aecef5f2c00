/// <reference types="node" />
// The `wasm-optim` command line: `wasm-optim compare [options]`.
// Exit codes: 0 success, 1 failure while running, 2 bad command line.
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backendInfo } from '../wasm.js';
import { DATASETS, DEFAULT_CONFIG, DEFAULT_METHODS, METHOD_DEFS, METHODS, MODELS, methodOf, runCompare, type CompareConfig, type MethodName } from './compare.js';
import { progressSink } from './progress.js';
import { renderReport } from './report.js';
import { conclusion, formatTable } from './table.js';
import { plural } from '../validate.js';

const DEFAULT_OUT = 'wasm-optim-report.html';

/** The help's list of methods: name and what it runs, one per line. */
function methodList(): string {
  const width = Math.max(...METHODS.map((m) => m.length));
  return METHODS.map((m) => `                          ${m.padEnd(width)}  ${METHOD_DEFS[m]!.uses}`).join('\n');
}

export const HELP = `Usage: wasm-optim compare [options]

Trains the same model from the same initial weights with each method (by
default full-batch gradient descent (GD), stochastic gradient descent (SGD,
batch 1), mini-batch gradient descent, Momentum, Adagrad, RMSprop, Adam,
AdamW, AdamW with a cosine schedule, the same AdamW run judged at an EMA of
its weights and at an SWA of them (SWALR), Schedule-Free AdamW and L-BFGS); prints a table (final train and test loss, test accuracy, epochs and
steps to the target loss, wall time, time inside opt.step) and writes a
self-contained HTML report with the loss curves, a learning-rate sweep and
trajectories on 2-D test functions.

Options:
  --dataset <name>      ${DATASETS.join(' | ')} (default ${DEFAULT_CONFIG.dataset})
  --model <name>        ${MODELS.join(' | ')} (default ${DEFAULT_CONFIG.model})
  --hidden <n>          hidden units of the MLP (default ${DEFAULT_CONFIG.hidden})
  --methods <list>      comma-separated methods, any of (case-insensitive):
${methodList()}
                        (default: ${DEFAULT_METHODS.join(',')};
                        --optimizers is another name for this option)
  --lr <lr|list>        one learning rate for every method, or per method,
                        e.g. adam=0.003,sgd=0.02 (default: the best of a sweep
                        around each method's default)
  --batch-size <n>      mini-batch size of every method but GD and SGD (default ${DEFAULT_CONFIG.batchSize})
  --epochs <n>          epochs per method (default ${DEFAULT_CONFIG.epochs})
  --sweep-epochs <n>    epochs of each learning-rate sweep run; 0 skips the
                        sweep (default ${DEFAULT_CONFIG.sweepEpochs})
  --target <loss>       training loss whose first crossing is reported (default ${DEFAULT_CONFIG.targetLoss})
  --seed <n>            seeds initial weights, shuffling and noise (default ${DEFAULT_CONFIG.seed})
  --out <file>          where to write the HTML report (default ${DEFAULT_OUT})
  --json <file>         also write the full results as JSON
  --no-trajectories     skip the 2-D test functions
  --quiet               no progress output
  -h, --help            show this help

Examples:
  wasm-optim compare
  wasm-optim compare --methods sgd,adam,nadam,lion --epochs 10 --out adam-vs-sgd.html
  wasm-optim compare --dataset spiral --model mlp --hidden 64 --lr adam=0.01
`;

const TOP_HELP = `Usage: wasm-optim <command> [options]

Commands:
  compare     compare the optimizers on real data (wasm-optim compare --help)

Options:
  -h, --help     show this help
  -v, --version  print the version
`;

/** A bad command line: reported on stderr with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
}

const OPTIONS = {
  dataset: { type: 'string' },
  model: { type: 'string' },
  hidden: { type: 'string' },
  methods: { type: 'string' },
  optimizers: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  epochs: { type: 'string' },
  'sweep-epochs': { type: 'string' },
  target: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'string' },
  'no-trajectories': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function int(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`invalid --${flag}: expected an integer ${max < Number.MAX_SAFE_INTEGER ? `in ${min}..${max}` : `>= ${min}`}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

function positive(flag: string, v: string): number {
  const x = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`invalid --${flag}: expected a number > 0, got ${JSON.stringify(v)}`);
  return x;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`invalid --${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Parses `compare`'s options into a config (throws UsageError). */
export function parseCompareArgs(args: string[]): { config: CompareConfig; out: string; json?: string; quiet: boolean; help: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /'([^']+)'/.exec(err.message);
      throw new UsageError(`unknown option ${m ? m[1] : ''}`.trim());
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const m = /'([^']+)'/.exec(err.message);
      throw new UsageError(`unexpected argument ${m ? JSON.stringify(m[1]) : ''} (options take the form --name value)`.trim());
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const m = /'(-[^' ]+)/.exec(err.message);
      if (m && /argument missing/.test(err.message)) throw new UsageError(`option ${m[1]} needs a value`);
      if (m && /ambiguous/.test(err.message)) {
        throw new UsageError(`option ${m[1]} is followed by a value starting with '-'; write ${m[1]}=<value> if that is the value`);
      }
      throw new UsageError(err.message);
    }
    throw e;
  }
  const config: CompareConfig = { ...DEFAULT_CONFIG, optimizers: [...DEFAULT_CONFIG.optimizers], lr: {}, sweepSteps: [...DEFAULT_CONFIG.sweepSteps] };
  const s = (k: string) => values[k] as string | undefined;
  if (s('dataset') !== undefined) config.dataset = oneOf('dataset', s('dataset')!, DATASETS);
  if (s('model') !== undefined) config.model = oneOf('model', s('model')!, MODELS);
  if (s('hidden') !== undefined) config.hidden = int('hidden', s('hidden')!, 1, 4096);
  if (s('methods') !== undefined && s('optimizers') !== undefined) {
    throw new UsageError('give --methods or --optimizers (another name for it), not both');
  }
  const flag = s('methods') !== undefined ? 'methods' : 'optimizers';
  if (s(flag) !== undefined) {
    const list = s(flag)!.split(',').map((x) => x.trim()).filter(Boolean);
    if (list.length === 0) throw new UsageError(`invalid --${flag}: expected a comma-separated list of ${METHODS.join(', ')}, got ""`);
    const seen = new Set<MethodName>();
    for (const name of list) {
      const m = methodOf(name);
      if (m === undefined) {
        throw new UsageError(`invalid --${flag}: unknown method ${JSON.stringify(name)} (expected some of ${METHODS.join(', ')})`);
      }
      seen.add(m);
    }
    config.optimizers = METHODS.filter((m) => seen.has(m));
  }
  if (s('lr') !== undefined) {
    const v = s('lr')!;
    if (v.includes('=')) {
      for (const part of v.split(',')) {
        const [name, value, ...rest] = part.split('=');
        const m = name === undefined ? undefined : methodOf(name);
        if (rest.length || m === undefined || value === undefined) {
          throw new UsageError(`invalid --lr: expected one number or method=number pairs such as adam=0.003,sgd=0.02 (methods: ${METHODS.join(', ')}), got ${JSON.stringify(part)}`);
        }
        config.lr[m] = positive('lr', value);
      }
    } else {
      const lr = positive('lr', v);
      for (const m of METHODS) config.lr[m] = lr;
    }
  }
  if (s('batch-size') !== undefined) config.batchSize = int('batch-size', s('batch-size')!, 1);
  if (s('epochs') !== undefined) config.epochs = int('epochs', s('epochs')!, 1, 100000);
  if (s('sweep-epochs') !== undefined) config.sweepEpochs = int('sweep-epochs', s('sweep-epochs')!, 0, 100000);
  if (s('target') !== undefined) config.targetLoss = positive('target', s('target')!);
  if (s('seed') !== undefined) config.seed = int('seed', s('seed')!, 0, 2 ** 32 - 1);
  if (values['no-trajectories']) config.trajectories = false;
  for (const k of ['out', 'json']) if (s(k) === '') throw new UsageError(`invalid --${k}: expected a file path, got ""`);
  return { config, out: s('out') ?? DEFAULT_OUT, json: s('json'), quiet: values.quiet === true, help: values.help === true };
}

/**
 * Checks, before any training, that `file` (given as --flag) can be written:
 * an existing file must be writable, otherwise the nearest existing ancestor
 * must be a writable directory (the missing directories are created at the
 * end). Throws a UsageError saying why not.
 */
export function checkWritable(flag: string, file: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`cannot write --${flag} ${file}: ${why}`);
  };
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return fail(`a part of the path is a file, not a directory`);
      return fail((e as Error).message);
    }
  };
  const s = stat(file);
  if (s) {
    if (s.isDirectory()) fail('it is a directory');
    try {
      accessSync(file, constants.W_OK);
    } catch {
      fail('the file is not writable');
    }
    return;
  }
  let dir = dirname(file);
  for (;;) {
    const d = stat(dir);
    if (d) {
      if (!d.isDirectory()) fail(`${dir} is a file, not a directory`);
      try {
        accessSync(dir, constants.W_OK | constants.X_OK);
      } catch {
        fail(`the directory ${dir} is not writable`);
      }
      return;
    }
    if (dirname(dir) === dir) fail('no existing directory above it');
    dir = dirname(dir);
  }
}

function version(): string {
  // dist/cli/main.js (tsc) or dist/cli.js (the bundle bin/wasm-optim.js runs)
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'wasm-optim') return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return 'unknown';
}

/** Runs the command line `args` (without node and the script); resolves to the exit code. */
export async function main(args: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  const [command, ...rest] = args;
  const usage = (msg: string, help: string) => {
    io.stderr.write(`wasm-optim${help === HELP ? ' compare' : ''}: ${msg}\nRun 'wasm-optim${help === HELP ? ' compare' : ''} --help' for usage.\n`);
    return 2;
  };
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    if (command === 'help' && rest[0] === 'compare') {
      io.stdout.write(HELP);
      return 0;
    }
    (command === undefined ? io.stderr : io.stdout).write(TOP_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command !== 'compare') {
    return usage(`${command.startsWith('-') ? 'unknown option' : 'unknown command'} ${JSON.stringify(command)} (commands: compare)`, TOP_HELP);
  }
  let parsed: ReturnType<typeof parseCompareArgs>;
  try {
    parsed = parseCompareArgs(rest);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message, HELP);
    throw e;
  }
  if (parsed.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const { config, quiet } = parsed;
  const out = resolve(io.cwd, parsed.out);
  const json = parsed.json === undefined ? undefined : resolve(io.cwd, parsed.json);
  try {
    // before the training, not after it
    checkWritable('out', out);
    if (json) checkWritable('json', json);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message, HELP);
    throw e;
  }
  const badPath = checkOutputPaths(out, json);
  if (badPath) return usage(badPath, HELP);
  const progress = progressSink(io.stderr, quiet);
  try {
    const result = await runCompare(config, progress);
    progress.stop();
    const html = renderReport(result, {
      command: ['wasm-optim', ...args].join(' '),
      versions: `wasm-optim ${version()}, Node ${process.version}, ${backendInfo()?.build ?? "no"} build`,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, html);
    if (json) {
      mkdirSync(dirname(json), { recursive: true });
      writeFileSync(json, JSON.stringify(result, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
    }
    io.stdout.write(
      `\n${result.modelName} on ${result.datasetName}: ${result.trainSize} train / ${plural(result.testSize, 'test example')}, ` +
        `${plural(config.epochs, 'epoch')}, seed ${config.seed}\n\n${formatTable(result)}\n\n${conclusion(result)}\n\n` +
        `report: ${out}\n${json ? `json:   ${json}\n` : ''}total time: ${(result.totalMs / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (e) {
    progress.stop();
    io.stderr.write(`wasm-optim compare: ${(e as Error).message}\n`);
    return 1;
  }
}

/**
 * What is wrong with the pair of output paths, checked before any work (after
 * `checkWritable` has checked each): --json naming the same file as --out
 * (the JSON would overwrite the report). Undefined when they are fine.
 */
export function checkOutputPaths(out: string, json: string | undefined): string | undefined {
  const stat = (path: string) => {
    try {
      return statSync(path, { throwIfNoEntry: false });
    } catch {
      return undefined; // ENOTDIR, EACCES, ...: left to the write (or to the writability check)
    }
  };
  if (json !== undefined) {
    const a = stat(out);
    const b = stat(json);
    if (json === out || (a && b && a.dev === b.dev && a.ino === b.ino)) {
      return `invalid --json: ${json} is the same file as --out; the JSON would overwrite the report, give another path`;
    }
  }
  return undefined;
}
