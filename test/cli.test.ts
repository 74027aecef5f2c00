// The real `wasm-optim` bin (built dist/, spawned as a user would run it):
// help, the error paths (exit code 2, a clear message on stderr, nothing
// written) and one small end-to-end run.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { optimizerNames } from '../src/index.js';

const bin = fileURLToPath(new URL('../bin/wasm-optim.js', import.meta.url));

function run(args: string[], cwd = mkdtempSync(join(tmpdir(), 'wasm-optim-cli-'))): Promise<{ code: number | null; stdout: string; stderr: string; cwd: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr, cwd });
    });
  });
}

describe('wasm-optim', () => {
  it('--help prints the commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: wasm-optim <command>/);
    expect(r.stdout).toMatch(/compare/);
  });
  it('compare --help prints every flag', async () => {
    const r = await run(['compare', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--dataset', '--methods', '--optimizers', '--lr', '--batch-size', '--epochs', '--seed', '--out']) expect(r.stdout).toContain(flag);
    // every registered optimizer is listed as a method
    for (const name of optimizerNames) expect(r.stdout).toMatch(new RegExp(`^ +${name.toLowerCase()} +${name}\\b`, 'm'));
    expect(r.stderr).toBe('');
    // the README shows this help verbatim
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const shown = /```text\n(Usage: wasm-optim compare[\s\S]*?)```/.exec(readme)?.[1];
    expect(shown?.trimEnd()).toBe(r.stdout.trimEnd());
  });
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await run(['--version'])).stdout.trim()).toBe(pkg.version);
  });
});

describe.concurrent('bad command lines exit with 2, say what is wrong on stderr and write nothing', () => {
  it.each([
    [[], /Usage: wasm-optim <command>/],
    [['frobnicate'], /wasm-optim: unknown command "frobnicate" \(commands: compare\)/],
    [['--frobnicate'], /wasm-optim: unknown option "--frobnicate"/],
    [['compare', '--bogus'], /wasm-optim compare: unknown option --bogus\nRun 'wasm-optim compare --help' for usage\./],
    [['compare', '-x'], /unknown option -x/],
    [['compare', 'digits'], /unexpected argument "digits"/],
    [['compare', '--epochs'], /option --epochs needs a value/],
    [['compare', '--epochs', '0'], /invalid --epochs: expected an integer in 1\.\.100000, got "0"/],
    [['compare', '--epochs', 'ten'], /invalid --epochs: expected an integer in 1\.\.100000, got "ten"/],
    [['compare', '--batch-size', '2.5'], /invalid --batch-size: expected an integer >= 1, got "2\.5"/],
    [['compare', '--lr', '-1'], /option --lr is followed by a value starting with '-'/],
    [['compare', '--lr=-1'], /invalid --lr: expected a number > 0, got "-1"/],
    [['compare', '--lr', 'fast'], /invalid --lr: expected a number > 0, got "fast"/],
    [['compare', '--lr', 'adam=0.1,nadam2=1'], /invalid --lr: expected one number or method=number pairs .* got "nadam2=1"/],
    [['compare', '--optimizers', 'adam,lino'], /invalid --optimizers: unknown method "lino" \(expected some of gd, sgd, minibatch, .*, lion, lamb, adafactor, muon, adam8bit, adamw8bit, lion8bit, lbfgs\)/],
    [['compare', '--methods', 'adam,adamz'], /invalid --methods: unknown method "adamz" \(expected some of gd, sgd, minibatch, .*, lion, lamb, adafactor, muon, adam8bit, adamw8bit, lion8bit, lbfgs\)/],
    [['compare', '--methods', 'adam', '--optimizers', 'sgd'], /give --methods or --optimizers \(another name for it\), not both/],
    [['compare', '--optimizers', ''], /invalid --optimizers: expected a comma-separated list/],
    [['compare', '--dataset', 'mnist'], /invalid --dataset: expected one of digits, spiral, got "mnist"/],
    [['compare', '--model', 'cnn'], /invalid --model: expected one of mlp, softmax, got "cnn"/],
    [['compare', '--seed', '-3'], /option --seed is followed by a value starting with '-'/],
    [['compare', '--target', '0'], /invalid --target: expected a number > 0, got "0"/],
    [['compare', '--out', ''], /invalid --out: expected a file path, got ""/],
    [['compare', '--quiet=yes'], /Option '--quiet' does not take an argument/],
  ])('%j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(readdirSync(r.cwd)).toEqual([]);
  });
});

describe('wasm-optim compare, end to end', () => {
  it('prints the table, writes the report and the JSON, and shows plain progress lines without a TTY', async () => {
    const r = await run([
      'compare', '--dataset', 'spiral', '--optimizers', 'gd,sgd,adam', '--epochs', '3', '--sweep-epochs', '1',
      '--lr', 'adam=0.02', '--seed', '4', '--out', 'reports/spiral.html', '--json', 'spiral.json',
    ]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| method'));
    expect(lines[header]).toMatch(/\| train loss \| test loss \| test acc \| epochs to 0\.1 \| steps to 0\.1 \| wall time \| +in opt\.step \|/);
    expect(lines.slice(header + 2, header + 5).map((l) => l.split('|')[1]!.trim())).toEqual(['GD (full batch)', 'SGD (batch 1)', 'Adam']);
    expect(lines[header + 4]).toMatch(/\|\s+0\.02 \|\s+32 \|/); // fixed lr, mini-batch of the default size 32
    expect(r.stdout).toContain(join(r.cwd, 'reports', 'spiral.html'));
    // progress without a terminal: plain lines, ending at 100%
    expect(r.stderr).toMatch(/^\[\s*\d+%\] lr sweep GD \(full batch\): lr 0\.1: [\d.]+, /m);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^\[100%\] trajectories on saddle/);
    expect(r.stderr).not.toMatch(/\x1b\[/); // no terminal escape codes
    const html = readFileSync(join(r.cwd, 'reports', 'spiral.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\b(src|href)\s*=|url\((?!#)/i); // only local url(#clip) references
    const json = JSON.parse(readFileSync(join(r.cwd, 'spiral.json'), 'utf8'));
    expect(json.runs.map((x: { method: string }) => x.method)).toEqual(['gd', 'sgd', 'adam']);
    expect(json.runs[0].steps).toBe(3); // full batch: one step per epoch
    expect(json.runs[1].steps).toBe(3 * 600); // batch 1 over 600 spiral examples
    expect(json.sweep.map((s: { method: string }) => s.method)).toEqual(['gd', 'sgd']); // adam's lr was given
    // the conclusion, recomputed from the JSON results
    type Run = { label: string; reached: { step: number } | null; diverged: unknown; testAccuracy: number[] };
    const runs = json.runs as Run[];
    const reached = runs.filter((x) => x.reached && !x.diverged);
    const fewest = Math.min(...reached.map((x) => x.reached!.step));
    const fastest = reached.filter((x) => x.reached!.step === fewest).map((x) => x.label);
    const bestAcc = Math.max(...runs.filter((x) => !x.diverged).map((x) => x.testAccuracy.at(-1)!));
    const best = runs.filter((x) => !x.diverged && x.testAccuracy.at(-1) === bestAcc).map((x) => x.label);
    const sentence = r.stdout.split('\n').find((l) => /got the best final test accuracy/.test(l))!;
    expect(sentence).toBeDefined();
    if (reached.length) expect(sentence).toContain(`${fastest.join(' and ')} reached the target training loss 0.1 in the fewest steps on this run (${fewest.toLocaleString('en-US')} step`);
    else expect(sentence).toContain('No method reached the target training loss 0.1');
    expect(sentence).toContain(`${best.join(' and ')} got the best final test accuracy (${(100 * bestAcc).toFixed(1)}%`);
    expect(html).toContain(`<p class="conclusion">${sentence.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</p>`);
  });
  it('adamw-ema: the AdamW run judged at an EMA of its weights, at AdamW\'s lr (no sweep of its own); alone, it sweeps', async () => {
    const r = await run(['compare', '--dataset', 'spiral', '--methods', 'adamw,adamw-ema', '--epochs', '2', '--sweep-epochs', '1', '--quiet', '--out', 'ema.html', '--json', 'ema.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| method'));
    expect(lines.slice(header + 2, header + 4).map((l) => l.split('|')[1]!.trim())).toEqual(['AdamW', 'AdamW + EMA']);
    const json = JSON.parse(readFileSync(join(r.cwd, 'ema.json'), 'utf8'));
    expect(json.sweep.map((s: { method: string }) => s.method)).toEqual(['adamw']);
    const [adamw, ema] = json.runs;
    expect([ema.method, ema.lr, ema.lrSource]).toEqual(['adamw-ema', adamw.lr, 'sweep']);
    expect(ema.uses).toMatch(/EMA of its weights \(AveragedParams, decay 0\.99, updated every step\)/);
    expect(ema.stepLoss).toEqual(adamw.stepLoss); // the same steps
    expect(ema.trainLoss.at(-1)).not.toBe(adamw.trainLoss.at(-1)); // judged elsewhere
    const html = readFileSync(join(r.cwd, 'ema.html'), 'utf8');
    expect(html).toContain('AdamW + EMA');
    const alone = await run(['compare', '--dataset', 'spiral', '--methods', 'adamw-ema', '--epochs', '1', '--sweep-epochs', '1', '--quiet', '--no-trajectories', '--json', 'alone.json']);
    expect(alone.code).toBe(0);
    expect(JSON.parse(readFileSync(join(alone.cwd, 'alone.json'), 'utf8')).sweep.map((s: { method: string }) => s.method)).toEqual(['adamw-ema']);
  });
  it('--methods runs any registered optimizer, every one of them in one run', async () => {
    const all = ['gd', 'minibatch', ...optimizerNames];
    const r = await run(['compare', '--dataset', 'spiral', '--methods', all.join(','), '--epochs', '1', '--sweep-epochs', '0', '--quiet', '--json', 'all.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(r.cwd, 'all.json'), 'utf8'));
    const expected = ['gd', 'sgd', 'minibatch', ...optimizerNames.filter((n) => n !== 'SGD').map((n) => n.toLowerCase())];
    expect(json.runs.map((x: { method: string }) => x.method)).toEqual(expected);
    expect(json.runs.slice(3).map((x: { label: string }) => x.label)).toEqual(optimizerNames.filter((n) => n !== 'SGD'));
    // every method also ran on each 2-D function
    expect(json.trajectories.length).toBe(3 * expected.length);
    for (const run of json.runs) expect(run.diverged).toBe(null);
  });
  it('checks --out and --json before training: an unwritable path exits with 2 at once, with a clear message', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wasm-optim-cli-'));
    const args = ['compare', '--dataset', 'spiral', '--optimizers', 'gd', '--epochs', '1', '--sweep-epochs', '0', '--no-trajectories'];
    const cases: [string[], RegExp][] = [
      [['--out', join(bin, 'x.html')], /^wasm-optim compare: cannot write --out .*x\.html: .*(is a file, not a directory)/],
      [['--out', tmpdir()], /^wasm-optim compare: cannot write --out .*: it is a directory\n/],
      [['--out', 'ok.html', '--json', join(bin, 'sub', 'r.json')], /^wasm-optim compare: cannot write --json .*r\.json: .*is a file, not a directory/],
    ];
    for (const [extra, message] of cases) {
      const r = await run([...args, ...extra], cwd);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Run 'wasm-optim compare --help' for usage\./);
      expect(r.stderr).not.toMatch(/\[\s*\d+%\]/); // no progress line: nothing was trained
      expect(r.stdout).toBe('');
      expect(readdirSync(cwd)).toEqual([]);
    }
  });
  it('says "1 epoch", not "1 epochs", in the console and in the report', async () => {
    const r = await run(['compare', '--dataset', 'spiral', '--optimizers', 'gd', '--epochs', '1', '--sweep-epochs', '0', '--no-trajectories', '--quiet', '--out', 'r.html']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 600 train \/ 300 test examples, 1 epoch, seed 1\n/);
    expect(r.stdout).not.toMatch(/\b1 epochs\b/);
    const html = readFileSync(join(r.cwd, 'r.html'), 'utf8');
    expect(html).toMatch(/1 epoch each over 600 training examples/);
    expect(html).not.toMatch(/\b1 epochs\b/);
  });
});
