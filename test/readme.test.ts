// README.md's JavaScript examples run against the built package (dist/, built
// by `npm test`'s pretest step), and the outputs they claim are the outputs
// they print.
//
// Conventions (for whoever edits README.md):
//
// - Every ```js fence is a complete ES module and is run with `node`, its
//   `from 'wasm-optim'` imports pointed at dist/index.js (`from 'wasm-optim/tfjs'`
//   at dist/tfjs/index.js, '@tensorflow/tfjs-core', '-backend-cpu' and '-layers'
//   at the copies Node resolves from the repository). It must exit with
//   status 0 and check at least one output (below).
// - A fence that cannot run on its own is tagged ```js no-run, with the reason
//   in the prose around it; the test counts those and lists them in its name.
//   Other languages (sh, html, text, untagged formula blocks) are not run.
// - `console.log(...); // <expected>`: the comment after a console.log on the
//   same line is the output that call prints, compared with what it printed
//   (the same text console.log writes, util.format of its arguments). Such a
//   call must run exactly once. The comparison:
//     * whitespace is ignored, and so are typed-array prefixes such as
//       `Float32Array(3)` (`[0.5, 1]` stands for `Float32Array(2) [ 0.5, 1 ]`);
//       " and ' are the same quote;
//     * a number written with decimals or an exponent stands for what it
//       rounds to: `0.6` matches 0.6000000238418579 (|x - 0.6| <= 0.05), `1.5e-3`
//       matches anything within 0.05e-3 of it; a number without a decimal point
//       or exponent (`0`, `50`, `-1`) must be printed exactly;
//     * `...` stands for any text (e.g. the rest of an error message);
//     * everything else must match token for token: the comment holds only the
//       output. Remarks go into a comment on the line above or into the prose.
// - `// varies: <remark>` after a console.log: printed, not compared (output
//   that depends on the machine, the engine or the clock).
// - Comments on lines without a console.log are remarks and are not checked.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const dist = pathToFileURL(join(root, 'dist', 'index.js')).href;
// `wasm-optim/tfjs` and the TF.js packages the TensorFlow.js examples import (resolved as Node resolves them from the repository)
const distTfjs = pathToFileURL(join(root, 'dist', 'tfjs', 'index.js')).href;
const requireHere = createRequire(join(root, 'package.json'));
const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Annotation {
  /** 1-based line in README.md */
  line: number;
  /** the comment after the console.log, or undefined for `varies:` */
  expected: string | undefined;
}

interface Example {
  /** 1-based line of the opening fence in README.md */
  line: number;
  tags: string[];
  /** the module as run: console.log calls rewritten to __readme.log(id, ...) */
  source: string;
  annotations: Annotation[];
}

/** Index of the `//` that starts a line comment, outside string and template literals; -1 if none. */
function commentStart(line: string): number {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '/' && line[i + 1] === '/') return i;
  }
  return -1;
}

function parseExamples(md: string): Example[] {
  const lines = md.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    if (end === lines.length) throw new Error(`README.md:${i + 1}: unclosed code fence`);
    if (open[1] === 'js') {
      const annotations: Annotation[] = [];
      const body = lines.slice(i + 1, end).map((text, k) => {
        const calls = text.split('console.log(').length - 1;
        if (calls === 0) return text;
        const at = commentStart(text);
        const comment = at < 0 ? undefined : text.slice(at + 2).trim();
        if (comment === undefined || calls > 1) {
          if (comment !== undefined) throw new Error(`README.md:${i + 2 + k}: one console.log per annotated line`);
          return text.replaceAll('console.log(', '__readme.log(-1, ');
        }
        const id = annotations.length;
        annotations.push({ line: i + 2 + k, expected: comment.startsWith('varies:') ? undefined : comment });
        return text.replace('console.log(', `__readme.log(${id}, `);
      });
      // one line of preamble, so that a stack trace's line L is README line (fence + L - 1)
      const preamble = `import { log as __log } from '${pathToFileURL(join(dir, 'capture.mjs')).href}'; const __readme = { log: __log };`;
      const source = [preamble, ...body]
        .join('\n')
        .replaceAll(`from 'wasm-optim/tfjs'`, `from '${distTfjs}'`)
        .replaceAll(`from 'wasm-optim'`, `from '${dist}'`)
        .replace(/'(@tensorflow\/tfjs-(?:core|backend-cpu|layers))'/g, (_, name: string) => `'${pathToFileURL(requireHere.resolve(name)).href}'`);
      examples.push({ line: i + 1, tags: open[2]!.trim().split(/\s+/).filter(Boolean), source, annotations });
    }
    i = end;
  }
  return examples;
}

// The capture module: records what each annotated call printed, and prints it as console.log would.
writeFileSync(
  join(dir, 'capture.mjs'),
  `import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
const printed = [];
export function log(id, ...args) {
  printed.push({ id, text: format(...args) });
  console.log(...args);
}
process.on('exit', () => writeFileSync(process.env.README_CAPTURE, JSON.stringify(printed)));
`,
);

type Token = { kind: 'number'; text: string; value: number } | { kind: 'other'; text: string } | { kind: 'any' };

/** Tokens of an output or an annotation, as compared (see the conventions above). */
function tokens(s: string): Token[] {
  const out: Token[] = [];
  const cleaned = s.replace(/\b(?:Float32|Float64|Int8|Int16|Int32|Uint8|Uint16|Uint32|Uint8Clamped)Array\(\d+\)\s*/g, '').replaceAll('"', "'");
  const re = /\.\.\.|-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?(?![\w$])|-?Infinity\b|NaN\b|[A-Za-z_$][\w$]*|\S/g;
  for (const m of cleaned.matchAll(re)) {
    const t = m[0];
    if (t === '...') out.push({ kind: 'any' });
    else if (/^-?(?:\d|\.\d|Infinity|NaN)/.test(t)) out.push({ kind: 'number', text: t, value: Number(t) });
    else out.push({ kind: 'other', text: t });
  }
  return out;
}

/** Whether printed number x is what annotation number `text` stands for. */
function numberMatches(text: string, x: number): boolean {
  const a = Number(text);
  if (!Number.isFinite(a) || !/[.e]/.test(text)) return Object.is(a, x) || a === x;
  const [mantissa, exponent = '0'] = text.split('e');
  const decimals = mantissa!.includes('.') ? mantissa!.length - mantissa!.indexOf('.') - 1 : 0;
  const half = 0.5 * 10 ** (Number(exponent) - decimals);
  return Math.abs(x - a) <= half * (1 + 1e-9);
}

/** Whether the printed text matches the annotation. */
function outputMatches(expected: string, printed: string): boolean {
  const want = tokens(expected);
  const got = tokens(printed);
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = i * (got.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const w = want[i];
    if (!w) result = j === got.length;
    else if (w.kind === 'any') result = match(i + 1, j) || (j < got.length && match(i, j + 1));
    else {
      const g = got[j];
      result =
        g !== undefined &&
        (w.kind === 'number' ? g.kind === 'number' && numberMatches(w.text, g.value) : g.kind === 'other' && g.text === w.text) &&
        match(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

const examples = parseExamples(readme);
const runnable = examples.filter((e) => !e.tags.includes('no-run'));
const skipped = examples.filter((e) => e.tags.includes('no-run'));

describe('the output comparison', () => {
  it('matches what the README means and nothing else', () => {
    expect(outputMatches('[0.6, 0]', 'Float32Array(2) [ 0.6000000238418579, 0 ]')).toBe(true);
    expect(outputMatches('[0.6, 0]', 'Float32Array(2) [ 0.7, 0 ]')).toBe(false);
    expect(outputMatches('[0.6, 0]', 'Float32Array(2) [ 0.6, 0.001 ]')).toBe(false);
    expect(outputMatches('[0.6, 0]', 'Float32Array(3) [ 0.6, 0, 0 ]')).toBe(false);
    expect(outputMatches('true 0 1', 'true 0 1')).toBe(true);
    expect(outputMatches('true 0 1', 'true 1 0')).toBe(false);
    expect(outputMatches('true 0 1', 'false 0 1')).toBe(false);
    expect(outputMatches('50', '50.000001')).toBe(false);
    expect(outputMatches('1.5e-3', '0.00152')).toBe(true);
    expect(outputMatches('1.5e-3', '0.0016')).toBe(false);
    expect(outputMatches("1 [ 'step', 'expAvg' ]", '1 [ "step", "expAvg" ]')).toBe(true);
    expect(outputMatches('Adam.load: not valid: the checksum ...', 'Adam.load: not valid: the checksum does not match (x)')).toBe(true);
    expect(outputMatches('Adam.load: not valid: the checksum ...', 'Adam.load: the checksum does not match')).toBe(false);
    expect(outputMatches('0', 'moved toward 0')).toBe(false);
    expect(outputMatches('0.1', '0.1 0.2')).toBe(false);
    expect(outputMatches('NaN', 'NaN')).toBe(true);
    expect(outputMatches('-Infinity', 'Infinity')).toBe(false);
  });
});

describe('README examples', () => {
  it('every ```js fence is found, and each runnable one checks an output', () => {
    // counted independently of the parser: the opening fences of js blocks
    expect(examples.length).toBe(readme.split('\n').filter((l) => /^```js\b/.test(l)).length);
    expect(runnable.length).toBeGreaterThanOrEqual(30);
    const unchecked = runnable.filter((e) => !e.annotations.some((a) => a.expected !== undefined)).map((e) => `README.md:${e.line}`);
    expect(unchecked).toEqual([]);
  });

  it(`tags ${skipped.length} fence(s) no-run: ${skipped.map((e) => `README.md:${e.line}`).join(', ') || 'none'}`, () => {
    for (const e of skipped) expect(e.tags).toEqual(['no-run']);
  });

  it.each(runnable.map((e) => [e.line, e] as const))('the example at README.md:%i prints what it says', async (line, e) => {
    const file = join(dir, `example-${line}.mjs`);
    const capture = join(dir, `example-${line}.json`);
    writeFileSync(file, e.source);
    await run(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, README_CAPTURE: capture }, maxBuffer: 1 << 24 });
    const printed = JSON.parse(readFileSync(capture, 'utf8')) as { id: number; text: string }[];
    const problems: string[] = [];
    e.annotations.forEach((a, id) => {
      const texts = printed.filter((p) => p.id === id).map((p) => p.text);
      if (texts.length !== 1) problems.push(`README.md:${a.line}: console.log ran ${texts.length} times, expected once`);
      else if (a.expected !== undefined && !outputMatches(a.expected, texts[0]!)) {
        problems.push(`README.md:${a.line}: says\n    ${a.expected}\n  printed\n    ${texts[0]!.split('\n').join('\n    ')}`);
      }
    });
    if (problems.length) expect.fail(problems.join('\n'));
  });
});
