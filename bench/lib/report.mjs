// Turns the workers' records into the report: ns per element per step, GB/s
// (bytes per element from bench/optimizers.mjs), ratios between
// implementations measured in the same run, and the issue's targets. The
// tables are printed as Markdown, so they can go into the README as they are.
import { OPTIMIZERS } from '../optimizers.mjs';
import { PATTERN_BYTES, sizeLabel } from './common.mjs';

const nsPerElem = (r) => (r.medianSec / r.n) * 1e9;
const gbPerSec = (r) => (r.n * r.bytesPerElem) / r.medianSec / 1e9;

/** One progress line for a finished measurement. */
export function progressLine(r, done, total, elapsedSec) {
  const head = `  [${String(done).padStart(String(total).length)}/${total} ${clock(elapsedSec)}]`;
  if (r.kind?.startsWith('tfjs-')) {
    const what = r.kind === 'tfjs-micro' ? r.op : r.kind === 'tfjs-fit' ? `model.fit epoch, ${r.impl}` : `${r.impl}.applyGradients, ${r.layout}`;
    return `${head} ${r.backend.padEnd(5)} ${what.padEnd(52)} ${ms(r.medianSec).padStart(12)} (median of ${r.samples})`;
  }
  if (r.forwardBackwardSec !== undefined) {
    return `${head} ${r.variant.padEnd(10)} forward+backward ${ms(r.forwardBackwardSec)}, optimizer ${ms(r.optimizerSec)} (median of ${r.steps} steps)`;
  }
  if (r.shareOfRmw !== undefined) {
    return `${head} ${sizeLabel(r.n).padStart(9)}  ${`${r.optimizer} kernel paired with probe`.padEnd(40)} ${fix(gbPerSec(r), 1)} GB/s = ${fix(100 * r.shareOfRmw, 0)}% of RMW ${fix(r.rmwGBs, 1)} GB/s` +
      (r.shareOfPattern !== undefined ? `, ${fix(100 * r.shareOfPattern, 0)}% of its pattern's ${fix(r.patternGBs, 1)} GB/s` : '') + ` (median of ${r.rounds} rounds)`;
  }
  const what = r.impl === 'probe' ? `${r.variant} (${r.bytesPerElem} B/elem)` : `${r.optimizer} ${r.impl} ${r.variant}`;
  const shape = r.tensors > 1 ? `${r.tensors}x${r.tensorSize}` : sizeLabel(r.n);
  return (
    `${head} ${shape.padStart(9)}  ${what.padEnd(40)} ${fix(nsPerElem(r), 3).padStart(8)} ns/elem ` +
    `${fix(gbPerSec(r), 1).padStart(6)} GB/s  ±${fix(r.rme, 1)}% (${r.samples} samples)`
  );
}

/**
 * @param {{ probe: any[], kernels: any[], many: any[], mlp: any[], tfjs?: any[] }} results
 * @param {object} meta
 */
export function analyse(results, meta) {
  const summary = {};
  // ---- bandwidth probe: the ceiling is the best run ----
  const probeBest = (variant) => {
    const rs = results.probe.filter((r) => r.variant === variant);
    return rs.length ? Math.max(...rs.map(gbPerSec)) : undefined;
  };
  const rmw = probeBest('rmw');
  summary.bandwidth = {
    rmwGBs: rmw,
    runs: results.probe.filter((r) => r.variant === 'rmw').map(gbPerSec),
    patternGBs: Object.fromEntries(PATTERN_BYTES.map((b) => [b, probeBest(`pattern ${b}`)]).filter(([, v]) => v !== undefined)),
  };

  // ---- kernels: one row per optimizer and size ----
  const find = (impl, variant, optimizer, n) =>
    results.kernels.find((r) => r.impl === impl && r.variant === variant && r.optimizer === optimizer && r.n === n);
  const point = (r) => (r ? { ns: nsPerElem(r), gbs: gbPerSec(r), samples: r.samples, rme: r.rme } : undefined);
  const rows = [];
  const sizes = [...new Set(results.kernels.filter((r) => r.impl !== 'probe').map((r) => r.n))].sort((a, b) => a - b);

  for (const o of OPTIMIZERS) {
    for (const n of sizes) {
      const js = results.kernels.filter((r) => r.impl === 'js' && r.optimizer === o.name && r.n === n);
      const row = {
        optimizer: o.name,
        n,
        bytes: o.bytes,
        copy: point(find('wasm-optim', 'copy', o.name, n)),
        copyNocheck: point(find('wasm-optim', 'copy-nocheck', o.name, n)),
        zeroCopy: point(find('wasm-optim', 'zero-copy', o.name, n)),
        kernel: point(find('wasm-optim', 'zero-copy-nocheck', o.name, n)),
        scalar: point(find('wasm-optim', 'scalar', o.name, n)),
        // the plain-JS loop: best of its isolates (its JIT code differs between isolates)
        js: point(js.sort((a, b) => a.medianSec - b.medianSec)[0]),
        jsIsolates: js.map(nsPerElem),
        tfjsWasm: point(results.kernels.find((r) => r.impl === 'tfjs-wasm' && r.optimizer === o.name && r.n === n)),
        tfjsCpu: point(results.kernels.find((r) => r.impl === 'tfjs-cpu' && r.optimizer === o.name && r.n === n)),
      };
      if (!row.copy && !row.js && !row.kernel) continue;
      // at 16M: the kernel timed in rounds that alternate with the bandwidth probe
      const pr = find('wasm-optim', 'paired with probe', o.name, n);
      row.paired = pr && { kernelGBs: gbPerSec(pr), rmwGBs: pr.rmwGBs, patternGBs: pr.patternGBs, shareOfRmw: pr.shareOfRmw, shareOfPattern: pr.shareOfPattern, rounds: pr.rounds };
      const over = (other) => (row.copy && other ? other.ns / row.copy.ns : undefined);
      row.speedup = { js: over(row.js), tfjsWasm: over(row.tfjsWasm), tfjsCpu: over(row.tfjsCpu) };
      row.kernelShareOfRmw = row.paired?.shareOfRmw ?? (row.kernel && rmw ? row.kernel.gbs / rmw : undefined);
      rows.push(row);
    }
  }
  summary.kernels = rows;

  // ---- many tensors (Adam) ----
  const many = results.many.map((r) => ({ layout: r.tensors > 1 ? `${r.tensors} x ${r.tensorSize}` : `1 x ${r.n}`, tensors: r.tensors, n: r.n, variant: r.variant, ns: nsPerElem(r), gbs: gbPerSec(r), vsFlat1M: /** @type {number | undefined} */ (undefined), vsFlatSameTotal: /** @type {number | undefined} */ (undefined) }));
  const flat = (n, variant) => many.find((m) => m.tensors === 1 && m.n === n && m.variant === variant);
  for (const m of many) {
    const f1m = flat(1_000_000, m.variant);
    const same = flat(m.n, m.variant);
    m.vsFlat1M = f1m ? m.ns / f1m.ns : undefined;
    m.vsFlatSameTotal = same ? m.ns / same.ns : undefined;
  }
  summary.many = many;

  // ---- MLP ----
  const mlp = results.mlp.map((r) => ({
    variant: r.variant,
    params: r.n,
    batch: r.batch,
    sizes: r.sizes,
    steps: r.steps,
    forwardBackwardMs: r.forwardBackwardSec * 1e3,
    optimizerMs: r.optimizerSec * 1e3,
    share: r.optimizerSec / (r.forwardBackwardSec + r.optimizerSec),
  }));
  summary.mlp = mlp;
  summary.tfjs = analyseTfjs(results.tfjs ?? []);

  return { meta, summary, targets: targets(summary) };
}

/** The issue's targets, each with the measured value. */
function targets(summary) {
  const t = [];
  const row = (name, n) => summary.kernels.find((r) => r.optimizer === name && r.n === n);
  const M = 1 << 20;
  const adam = row('Adam', M);
  const add = (what, value, goal, pass, note) => t.push({ what, value, goal, pass, note });
  if (adam?.copy) {
    for (const [key, label, goal] of [['js', 'plain JS', 12], ['tfjsWasm', 'TF.js wasm', 8], ['tfjsCpu', 'TF.js cpu', 200]]) {
      const x = adam.speedup[key];
      if (x !== undefined) add(`Adam 1M, default (copy) path vs ${label}`, `${fix(x, 1)}x`, `>= ${goal}x`, x >= goal, `${fix(adam.copy.ns, 3)} vs ${fix(adam[key].ns, 3)} ns/elem`);
    }
  }
  for (const r of summary.kernels.filter((r) => r.n === 1 << 24 && r.kernel && r.kernelShareOfRmw !== undefined)) {
    const p = r.paired;
    // the ceiling for its own byte count: the probe with its access pattern where there is one, else RMW
    const share = p?.shareOfPattern ?? r.kernelShareOfRmw;
    add(
      `${r.optimizer} kernel at 16M: share of the DRAM ceiling (${p?.shareOfPattern !== undefined ? 'its own access pattern' : 'RMW'})`, pct(share), '>= 90%', share >= 0.9,
      p
        ? `median of ${p.rounds} paired rounds: ${fix(p.kernelGBs, 1)} vs ${fix(p.rmwGBs, 1)} GB/s (${r.bytes} B/elem)` +
            (p.shareOfPattern !== undefined ? `; ${fix(100 * p.shareOfPattern, 0)}% of its own access pattern's ${fix(p.patternGBs, 1)} GB/s` : '')
        : `${fix(r.kernel.gbs, 1)} of ${fix(summary.bandwidth.rmwGBs, 1)} GB/s (probe run separately)`,
    );
  }
  for (const r of summary.kernels.filter((r) => r.n === 1 << 14 && r.kernel && OPTIMIZERS.find((o) => o.name === r.optimizer)?.adaptive)) {
    add(`${r.optimizer} kernel in cache (16K)`, `${fix(r.kernel.ns, 3)} ns/elem`, '<= 0.5 ns/elem', r.kernel.ns <= 0.5, `default path ${fix(r.copy?.ns, 3)} ns/elem`);
  }
  for (const [layout, goal] of [['50 x 20000', 1.15], ['1000 x 100', 1.5]]) {
    for (const variant of ['copy', 'zero-copy']) {
      const m = summary.many.find((x) => x.layout === layout && x.variant === variant);
      if (m?.vsFlat1M !== undefined) {
        add(`Adam ${layout} tensors vs one flat 1M buffer (${variant})`, `${fix(m.vsFlat1M, 2)}x`, `<= ${goal}x`, m.vsFlat1M <= goal, `${fix(m.ns, 3)} ns/elem; ${fix(m.vsFlatSameTotal, 2)}x a flat buffer of the same ${m.n} elements`);
      }
    }
  }
  const tj = summary.tfjs;
  for (const [backend, goal] of [['cpu', 50], ['wasm', 3]]) {
    const r = tj.apply.find((x) => x.backend === backend && x.layout === '1M');
    if (r?.vsTfTrain !== undefined) add(`train.adam vs tf.train.adam, 1M, TF.js ${backend} backend`, `${fix(r.vsTfTrain, 1)}x`, `>= ${goal}x`, r.vsTfTrain >= goal, `${fix(r.ours.ms, 3)} vs ${fix(r.tfTrain.ms, 3)} ms per applyGradients (medians); fastest tenth: ${ratio(r.p10VsTfTrain)}`);
  }
  for (const backend of ['cpu', 'wasm']) {
    const r = tj.apply.find((x) => x.backend === backend && x.layout === 'mlp20');
    if (r?.vsOneVariable !== undefined) {
      add(`train.adam, 20 variables vs one of 1M, TF.js ${backend} (ns/elem)`, `${fix(r.vsOneVariable, 2)}x`, '<= 1.3x', r.vsOneVariable <= 1.3, `${fix(r.ours.nsPerElem, 2)} vs ${fix(tj.apply.find((x) => x.backend === backend && x.layout === '1M')?.ours.nsPerElem, 2)} ns/elem (medians); fastest tenth: ${ratio(r.p10VsOneVariable)}`);
    }
  }
  if (adam?.copy && adam.zeroCopy) {
    const x = adam.copy.ns / adam.zeroCopy.ns;
    add('Adam 1M, copy path vs zero-copy', `${fix(x, 2)}x`, '<= 1.5x', x <= 1.5, `${fix(adam.copy.ns, 3)} vs ${fix(adam.zeroCopy.ns, 3)} ns/elem`);
  }
  return t;
}

/** Prints every table of the report (Markdown). */
export function printReport({ meta, summary, targets: ts }) {
  const quick = meta.profile === 'quick';
  const out = [];
  const p = (s = '') => out.push(s);
  p(`\n## Results (${meta.profile} run, ${meta.started}, commit ${meta.commit})`);
  p(`${meta.cpu}, ${meta.cores} cores, Node ${meta.node}; load average at start ${meta.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${meta.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}`);
  const b = summary.bandwidth;
  if (b.rmwGBs) {
    const mb = meta.probeMB ?? 256;
    p(`\nMemory bandwidth (WASM read-modify-write over ${mb >= 1024 ? `${mb / 1024} GiB` : `${mb} MB`}, best of ${b.runs.length}): **${fix(b.rmwGBs, 1)} GB/s**` +
      `; optimizer-shaped streams: ${Object.entries(b.patternGBs).map(([k, v]) => `${k} B/elem ${fix(v, 1)} GB/s`).join(', ')}`);
    p(mb >= 1024
      ? `The probe's working set (${mb / 1024} GiB) is past the 300 MiB L3: it streams from DRAM. A 16M kernel's arrays take 128-384 MB ` +
        `(64 MB each), part of which the L3 holds, so a share above 100% (marked *) is the L3's help, not an error.`
      : `The probe's ${mb} MB partly fit in the 300 MiB L3: it is not a DRAM ceiling.`);
  }
  p(renderSummary(summary).join('\n'));
  p(renderKernelTables(summary, b.rmwGBs, meta).join('\n'));
  p(renderBandwidth(summary).join('\n'));
  p(renderPaths(summary).join('\n'));
  p(renderScalar(summary).join('\n'));
  if (summary.many.length) {
    p('\n### Many tensors (Adam), ns per element per step');
    p(table(['layout', 'elements', 'path', 'ns/elem', 'GB/s', 'vs flat 1M', 'vs flat, same total'],
      summary.many.map((m) => [m.layout, String(m.n), m.variant, fix(m.ns, 3), fix(m.gbs, 1), ratio(m.vsFlat1M), ratio(m.vsFlatSameTotal)])));
  }
  if (summary.mlp.length) {
    const m0 = summary.mlp[0];
    p(`\n### End to end: one training step of a ${m0.sizes.join('-')} MLP (${m0.params} parameters, batch ${m0.batch}, forward + backward in plain JS)`);
    const js = summary.mlp.find((m) => m.variant === 'js');
    p(table(['optimizer', 'forward+backward ms', 'optimizer ms', 'optimizer share of the step', 'optimizer speedup'],
      summary.mlp.map((m) => [
        m.variant === 'js' ? 'plain-JS Adam' : `wasm-optim Adam (${m.variant})`,
        fix(m.forwardBackwardMs, 2), fix(m.optimizerMs, 3), `${fix(100 * m.share, 1)}%`, js ? ratio(js.optimizerMs / m.optimizerMs) : '—',
      ])));
  }
  p(renderTfjs(summary.tfjs).join('\n'));
  if (quick) {
    p('\nTargets are judged on a full run only (`npm run bench`): a quick run times each case for 0.1 s, measures the memory ceiling once, and leaves the plain-JS loop out (V8 has not optimized it in so short a time).');
  } else if (ts.length) {
    p('\n### Targets (issue 3)');
    p(table(['target', 'measured', 'goal', 'met', 'detail'], ts.map((x) => [x.what, x.value, x.goal, x.pass ? 'yes' : '**MISS**', x.note])));
  }
  const text = out.filter((s) => s !== '').join('\n');
  console.log(text);
  return text;
}

/** One line per optimizer: the figures the README quotes. */
function renderSummary(summary) {
  const at = (name, n) => summary.kernels.find((r) => r.optimizer === name && r.n === n);
  const rows = OPTIMIZERS.map((o) => [o, at(o.name, 1 << 14), at(o.name, 1 << 20), at(o.name, 1 << 24)]).filter(([, a, b, c]) => a || b || c);
  if (!rows.length) return [];
  return [
    '\n### Summary: ns per element per step (medians); speedups of the default path at 1M',
    table(
      ['optimizer', 'B/elem', 'kernel 16K', 'default 1M', 'kernel 1M', 'kernel 16M (share of RMW)', 'plain JS 1M', 'TF.js wasm 1M', 'TF.js cpu 1M', 'vs JS', 'vs TF.js wasm', 'vs TF.js cpu'],
      rows.map(([o, a, b, c]) => [
        o.name, String(o.bytes), ns(a?.kernel), ns(b?.copy), ns(b?.kernel),
        c?.kernel ? `${fix(c.kernel.ns, 3)}${c.kernelShareOfRmw !== undefined ? ` (${pct(c.kernelShareOfRmw)})` : ''}` : '—',
        ns(b?.js), ns(b?.tfjsWasm), ns(b?.tfjsCpu), ratio(b?.speedup.js), ratio(b?.speedup.tfjsWasm), ratio(b?.speedup.tfjsCpu),
      ]),
    ),
  ];
}

function renderKernelTables(summary, rmw, meta) {
  const out = [];
  for (const o of OPTIMIZERS) {
    const rows = summary.kernels.filter((r) => r.optimizer === o.name);
    if (!rows.length) continue;
    out.push(`\n### ${o.name} (${o.bytes} B/elem): ns per element per step (GB/s), medians`);
    out.push(table(
      ['n', 'wasm-optim (default: copy)', 'copy, no check', 'zero-copy', 'kernel (zero-copy, no check)', 'scalar build', 'plain JS', 'TF.js wasm', 'TF.js cpu', 'vs JS', 'vs TF.js wasm', 'vs TF.js cpu'],
      rows.map((r) => [
        sizeLabel(r.n),
        nsGb(r.copy), ns(r.copyNocheck), ns(r.zeroCopy),
        nsGb(r.kernel),
        ns(r.scalar), ns(r.js), ns(r.tfjsWasm), ns(r.tfjsCpu),
        ratio(r.speedup.js), ratio(r.speedup.tfjsWasm), ratio(r.speedup.tfjsCpu),
      ]),
    ));
  }
  if (out.length) {
    out.push(
      `\n"vs": how many times faster wasm-optim's default path is. ` +
        `TF.js cpu is not run above ${sizeLabel(meta.tfjs.cpuMaxN)} (seconds per step); TF.js has no AdamW.`,
    );
  }
  return out;
}

function renderBandwidth(summary) {
  const rows = summary.kernels.filter((r) => r.n === 1 << 24 && r.paired);
  if (!rows.length) return [];
  return [
    '\n### Memory bandwidth at 16M: kernel (zero-copy, no check) and 1 GiB probe streams (DRAM) in alternating rounds, GB/s by the byte model, medians; * above 100%: part of the kernel\'s 128-384 MB sat in the 300 MiB L3',
    table(['optimizer', 'B/elem', 'kernel', 'RMW probe', 'same-pattern probe', 'kernel / RMW', 'kernel / same pattern', 'default path (benny)'],
      rows.map((r) => [
        r.optimizer, String(r.bytes), fix(r.paired.kernelGBs, 1), fix(r.paired.rmwGBs, 1), fix(r.paired.patternGBs, 1),
        pct(r.paired.shareOfRmw), r.paired.shareOfPattern !== undefined ? pct(r.paired.shareOfPattern) : '—', fix(r.copy?.gbs, 1),
      ])),
  ];
}

function renderPaths(summary) {
  const n = 1 << 20;
  const rows = summary.kernels.filter((r) => r.n === n && r.copy && r.zeroCopy);
  if (!rows.length) return [];
  return [
    `\n### Step paths at ${sizeLabel(n)}: copy (step(grads)) vs zero-copy (opt.grads + step()), and the cost of checkFinite`,
    table(['optimizer', 'copy', 'copy, no check', 'zero-copy', 'zero-copy, no check', 'copy / zero-copy', 'check costs (zero-copy)'],
      rows.map((r) => [
        r.optimizer, ns(r.copy), ns(r.copyNocheck), ns(r.zeroCopy), ns(r.kernel),
        ratio(r.copy.ns / r.zeroCopy.ns),
        r.kernel ? `+${fix(r.zeroCopy.ns - r.kernel.ns, 3)} ns (${fix(100 * (r.zeroCopy.ns / r.kernel.ns - 1), 0)}%)` : '—',
      ])),
  ];
}

function renderScalar(summary) {
  const rows = summary.kernels.filter((r) => r.scalar && r.kernel);
  if (!rows.length) return [];
  return [
    '\n### SIMD build vs scalar build (kernel: zero-copy, no check), ns per element',
    table(['optimizer', 'n', 'SIMD', 'scalar', 'SIMD speedup'], rows.map((r) => [r.optimizer, sizeLabel(r.n), ns(r.kernel), ns(r.scalar), ratio(r.scalar.ns / r.kernel.ns)])),
  ];
}

/** wasm-optim/tfjs vs tf.train (bench/tfjs-adapter-worker.mjs): one row per backend and layout, fit epochs, the data path's pieces. */
function analyseTfjs(records) {
  const get = (kind, f) => records.find((r) => r.kind === kind && f(r));
  const pt = (r) => r && { ms: r.medianSec * 1e3, p10Ms: r.p10Sec * 1e3, nsPerElem: (r.medianSec / r.n) * 1e9, p10NsPerElem: (r.p10Sec / r.n) * 1e9, samples: r.samples, n: r.n, tensors: r.tensors };
  const apply = [];
  for (const backend of ['cpu', 'wasm']) {
    for (const layout of ['1M', 'mlp20']) {
      const at = (impl) => pt(get('tfjs-apply', (r) => r.backend === backend && r.layout === layout && r.impl === impl));
      const row = { backend, layout, ours: at('train.adam'), tfTrain: at('tf.train.adam'), toTfjs: at('toTfjs(Adam)') };
      if (!row.ours && !row.tfTrain && !row.toTfjs) continue;
      row.vsTfTrain = row.ours && row.tfTrain ? row.tfTrain.ms / row.ours.ms : undefined;
      row.p10VsTfTrain = row.ours && row.tfTrain ? row.tfTrain.p10Ms / row.ours.p10Ms : undefined;
      row.toTfjsVsTfTrain = row.toTfjs && row.tfTrain ? row.tfTrain.ms / row.toTfjs.ms : undefined;
      apply.push(row);
    }
  }
  for (const row of apply.filter((r) => r.layout === 'mlp20')) {
    const one = apply.find((r) => r.backend === row.backend && r.layout === '1M');
    row.vsOneVariable = row.ours && one?.ours ? row.ours.nsPerElem / one.ours.nsPerElem : undefined;
    row.p10VsOneVariable = row.ours && one?.ours ? row.ours.p10NsPerElem / one.ours.p10NsPerElem : undefined;
    row.tfTrainVsOneVariable = row.tfTrain && one?.tfTrain ? row.tfTrain.nsPerElem / one.tfTrain.nsPerElem : undefined;
    // tf.train's extra cost per variable per call, from the difference of the two layouts
    row.tfTrainPerVariableUs = row.tfTrain && one?.tfTrain ? ((row.tfTrain.nsPerElem - one.tfTrain.nsPerElem) * row.tfTrain.n) / 1e3 / (row.tfTrain.tensors - 1) : undefined;
  }
  const fit = ['cpu', 'wasm'].map((backend) => {
    const at = (impl) => get('tfjs-fit', (r) => r.backend === backend && r.impl === impl);
    const ours = at('train.adam'), theirs = at('tf.train.adam');
    const any = ours ?? theirs;
    return any && { backend, params: any.n, examples: any.examples, batchSize: any.batchSize, steps: any.steps, oursMs: ours && ours.medianSec * 1e3, tfTrainMs: theirs && theirs.medianSec * 1e3, oursLoss: ours?.loss, tfTrainLoss: theirs?.loss, epochs: any.epochs, ratio: ours && theirs ? theirs.medianSec / ours.medianSec : undefined };
  }).filter(Boolean);
  const micro = records.filter((r) => r.kind === 'tfjs-micro').map((r) => ({ backend: r.backend, op: r.op, ms: r.medianSec * 1e3, n: r.n }));
  return { apply, fit, micro };
}

function renderTfjs(t) {
  const out = [];
  if (t.apply.length) {
    out.push('\n### wasm-optim/tfjs: train.adam vs tf.train.adam, ms per applyGradients (Adam 1e-3; medians of rounds of one call after warm-up; p10: the same ratio of the fastest tenth of rounds, less disturbed by other processes)');
    const layout = (l) => (l === '1M' ? '1 variable, 1M' : '20 variables (MLP), 1.05M');
    out.push(table(['backend', 'variables', 'train.adam', 'tf.train.adam', 'toTfjs(Adam)', 'train.adam vs tf.train (p10)', 'toTfjs vs tf.train', 'train.adam: 20 vars / 1 var, ns/elem (p10)', 'tf.train: 20 vars / 1 var', 'tf.train per variable'],
      t.apply.map((r) => [
        r.backend, layout(r.layout), fix(r.ours?.ms, 3), fix(r.tfTrain?.ms, 3), fix(r.toTfjs?.ms, 3), `${ratio(r.vsTfTrain)} (${ratio(r.p10VsTfTrain)})`, ratio(r.toTfjsVsTfTrain),
        r.vsOneVariable !== undefined ? `${ratio(r.vsOneVariable)} (${ratio(r.p10VsOneVariable)})` : '—', r.tfTrainVsOneVariable !== undefined ? ratio(r.tfTrainVsOneVariable) : '—',
        r.tfTrainPerVariableUs > 0 ? `${fix(r.tfTrainPerVariableUs, 0)} us` : '—',
      ])));
  }
  if (t.fit.length) {
    const f = t.fit[0];
    out.push(`\n### model.fit: one epoch of a 784-64-10 dense model (${f.params} parameters, ${f.examples} samples, batch ${f.batchSize}: ${f.steps} steps; shuffle off), ms per epoch, medians`);
    out.push(table(['backend', 'train.adam', 'tf.train.adam', 'tf.train / train.adam', `loss after ${f.epochs} epochs: train.adam`, 'tf.train.adam'],
      t.fit.map((r) => [r.backend, fix(r.oursMs, 2), fix(r.tfTrainMs, 2), ratio(r.ratio), r.oursLoss?.toPrecision(8) ?? '—', r.tfTrainLoss?.toPrecision(8) ?? '—'])));
  }
  if (t.micro.length) {
    out.push('\n### The data path at 1M: what each piece costs, ms (medians)');
    const ops = [...new Set(t.micro.map((m) => m.op))];
    const backends = [...new Set(t.micro.map((m) => m.backend))];
    out.push(table(['operation', ...backends], ops.map((op) => [op, ...backends.map((b) => fix(t.micro.find((m) => m.op === op && m.backend === b)?.ms, 3))])));
  }
  return out;
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

function fix(x, digits) {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (digits >= 2 && Math.abs(x) >= 100) return x.toFixed(0);
  if (digits >= 3 && Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}
const ns = (pt) => (pt ? fix(pt.ns, 3) : '—');
/** A share of a ceiling; above 100% marked * (the report says why: the L3 held part of the kernel's data). */
const pct = (x) => (x === undefined || Number.isNaN(x) ? '—' : `${fix(100 * x, 0)}%${x > 1 ? '*' : ''}`);
const nsGb = (pt) => (pt ? `${fix(pt.ns, 3)} (${fix(pt.gbs, 1)})` : '—');
const ratio = (x) => (x === undefined || Number.isNaN(x) ? '—' : `${fix(x, x >= 10 ? 0 : 2)}x`);
const ms = (s) => `${(s * 1e3).toFixed(3)} ms`;
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
