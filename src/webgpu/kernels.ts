// The WGSL twins of the elementwise kernels of assembly/: one template
// (the bindings, the index, the skip flag and the clip coefficient) and one
// body per kernel, in the same arguments as its WebAssembly export. The
// optimizer records the export a method's `run` calls and its scalars
// (computed in double on the CPU); `prepare` turns them into the float32
// constants of the body, which reads them from a uniform buffer.
//
// Every body sees: i (element), p (this tensor's parameters), g (its
// gradients), st (the optimizer's state buffer; st[u.o0 + i] is element i of
// the first state argument, o1 and o2 the next ones), gs (gscale times the
// clip coefficient of this step) and its named constants. No flushing of
// subnormal state: whether a GPU flushes them is the GPU's choice, and where
// the WebAssembly kernels flush, flushing changes no result.

/** One kernel: how many state arguments it takes, its constants from the recorded scalars, and its WGSL body. */
export interface GpuKernel {
  /** state buffers among its pointer arguments (after p and g) */
  readonly state: number;
  /** the float32 constants of the body, by name, from the recorded scalars after n (gscale last, not included) */
  prepare(s: readonly number[]): Record<string, number>;
  readonly body: string;
}

// d = gscale*g + wd*p, the gradient every coupled method sees
const D = 'let pv = p[i]; let d = g[i] * gs + wd * pv;';

function sgdMomentumBody(): string {
  return `${D}
  let b = st[u.o0 + i] * b1 + c * d; st[u.o0 + i] = b;
  let stp = select(b, d + k * b, nesterov > 0.5);
  p[i] = pv - lr * stp;`;
}

function rmspropBody(centered: boolean, momentum: boolean): string {
  const sq = 'st[u.o0 + i]';
  const ga = 'st[u.o1 + i]';
  const buf = centered ? 'st[u.o2 + i]' : 'st[u.o1 + i]';
  return `${D}
  let s = ${sq} * b2 + omb2 * d * d; ${sq} = s;
  ${centered ? `let a = ${ga} * b2 + omb2 * d; ${ga} = a; let avg = sqrt(s - a * a) + eps;` : 'let avg = sqrt(s) + eps;'}
  ${momentum ? `let b = ${buf} * mu + d / avg; ${buf} = b; p[i] = pv - lr * b;` : 'p[i] = pv - (lr * d) / avg;'}`;
}

function adamBody(amsgrad: boolean): string {
  return `${D}
  let m = st[u.o0 + i] * b1 + omb1 * d; st[u.o0 + i] = m;
  var v = st[u.o1 + i] * b2 + omb2 * d * d; st[u.o1 + i] = v;
  ${amsgrad ? 'v = max(v, st[u.o2 + i]); st[u.o2 + i] = v;' : ''}
  p[i] = pv * decay - (lrs * m) / (sqrt(v) + eps);`;
}

function radamBody(rectified: boolean): string {
  return `${D}
  let m = st[u.o0 + i] * b1 + omb1 * d; st[u.o0 + i] = m;
  let v = st[u.o1 + i] * b2 + omb2 * d * d; st[u.o1 + i] = v;
  p[i] = ${rectified ? 'pv * decay - (lrs * m) / (sqrt(v) + eps)' : 'pv * decay - lrs * m'};`;
}

function rpropBody(first: boolean): string {
  return `var d = g[i] * gs;
  let prod = d * st[u.o0 + i];
  let f = select(select(1.0, etaplus, prod > 0.0), etaminus, prod < 0.0);
  let s = min(max(${first ? 'lr' : 'st[u.o1 + i]'} * f, smin), smax); st[u.o1 + i] = s;
  if (prod < 0.0) { d = 0.0; }
  p[i] = p[i] - sign(d) * s;
  st[u.o0 + i] = d;`;
}

function asgdBody(average: boolean): string {
  return `${D}
  let np = pv * decay - eta * d; p[i] = np;
  ${average ? 'let a = st[u.o0 + i]; st[u.o0 + i] = (np - a) * mu + a;' : 'st[u.o0 + i] = np;'}`;
}

/** The kernels by the name of their WebAssembly export. */
export const GPU_KERNELS: Readonly<Record<string, GpuKernel>> = {
  sgd: { state: 0, prepare: ([lr, wd]) => ({ lr: lr!, wd: wd! }), body: `${D} p[i] = pv - lr * d;` },
  sgdMomentum: {
    state: 1,
    prepare: ([lr, b1, c, nesterov, k, wd]) => ({ lr: lr!, b1: b1!, c: c!, nesterov: nesterov!, k: k!, wd: wd! }),
    body: sgdMomentumBody(),
  },
  momentum: {
    state: 1,
    prepare: ([lr, b1, wd]) => ({ lr: lr!, b1: b1!, c: 1 - b1!, nesterov: 0, k: 0, wd: wd! }),
    body: sgdMomentumBody(),
  },
  adagrad: {
    state: 1,
    prepare: ([lr, eps, wd]) => ({ lr: lr!, eps: eps!, wd: wd! }),
    body: `${D} let s = st[u.o0 + i] + d * d; st[u.o0 + i] = s; p[i] = pv - (lr * d) / (sqrt(s) + eps);`,
  },
  rmsprop: { state: 1, prepare: ([lr, b2, eps, wd]) => ({ lr: lr!, b2: b2!, omb2: 1 - b2!, mu: 0, eps: eps!, wd: wd! }), body: rmspropBody(false, false) },
  rmspropMomentum: {
    state: 2,
    prepare: ([lr, b2, mu, eps, wd]) => ({ lr: lr!, b2: b2!, omb2: 1 - b2!, mu: mu!, eps: eps!, wd: wd! }),
    body: rmspropBody(false, true),
  },
  rmspropCentered: {
    state: 2,
    prepare: ([lr, b2, eps, wd]) => ({ lr: lr!, b2: b2!, omb2: 1 - b2!, mu: 0, eps: eps!, wd: wd! }),
    body: rmspropBody(true, false),
  },
  rmspropCenteredMomentum: {
    state: 3,
    prepare: ([lr, b2, mu, eps, wd]) => ({ lr: lr!, b2: b2!, omb2: 1 - b2!, mu: mu!, eps: eps!, wd: wd! }),
    body: rmspropBody(true, true),
  },
  // the "efficient version" of Adam's update, as assembly/adam.ts: step/rsqrtBc2 and eps/rsqrtBc2 in double
  adam: { state: 2, prepare: (s) => adamConstants(s), body: adamBody(false) },
  adamAmsgrad: { state: 3, prepare: (s) => adamConstants(s), body: adamBody(true) },
  adadelta: {
    state: 2,
    prepare: ([lr, b2, eps, wd]) => ({ lr: lr!, b2: b2!, omb2: 1 - b2!, eps: eps!, wd: wd! }),
    body: `${D}
  let s = st[u.o0 + i] * b2 + omb2 * d * d; st[u.o0 + i] = s;
  let a = st[u.o1 + i];
  let delta = (sqrt(a + eps) / sqrt(s + eps)) * d;
  st[u.o1 + i] = a * b2 + omb2 * delta * delta;
  p[i] = pv - lr * delta;`,
  },
  adamax: {
    state: 2,
    prepare: ([step, b1, b2, eps, wd]) => ({ lrs: step!, b1: b1!, omb1: 1 - b1!, b2: b2!, eps: eps!, wd: wd! }),
    body: `${D}
  let m = st[u.o0 + i] * b1 + omb1 * d; st[u.o0 + i] = m;
  let uu = max(abs(d) + eps, st[u.o1 + i] * b2); st[u.o1 + i] = uu;
  p[i] = pv - lrs * (m / uu);`,
  },
  nadam: {
    state: 2,
    prepare: ([cg, cm, r, b1, b2, eps, wd, decay]) => ({
      cg: cg! / r!, cm: cm! / r!, eps: eps! / r!, b1: b1!, omb1: 1 - b1!, b2: b2!, omb2: 1 - b2!, wd: wd!, decay: decay!,
    }),
    body: `${D}
  let m = st[u.o0 + i] * b1 + omb1 * d; st[u.o0 + i] = m;
  let v = st[u.o1 + i] * b2 + omb2 * d * d; st[u.o1 + i] = v;
  p[i] = pv * decay - (cg * d + cm * m) / (sqrt(v) + eps);`,
  },
  radam: {
    state: 2,
    prepare: ([step, b1, b2, eps, wd, decay]) => ({ lrs: step!, b1: b1!, omb1: 1 - b1!, b2: b2!, omb2: 1 - b2!, eps: eps!, wd: wd!, decay: decay! }),
    body: radamBody(true),
  },
  radamUnrectified: {
    state: 2,
    prepare: ([step, b1, b2, wd, decay]) => ({ lrs: step!, b1: b1!, omb1: 1 - b1!, b2: b2!, omb2: 1 - b2!, wd: wd!, decay: decay! }),
    body: radamBody(false),
  },
  rprop: {
    state: 2,
    prepare: ([etaminus, etaplus, smin, smax]) => ({ etaminus: etaminus!, etaplus: etaplus!, smin: smin!, smax: smax! }),
    body: rpropBody(false),
  },
  rpropFirst: {
    state: 2,
    prepare: ([lr, etaminus, etaplus, smin, smax]) => ({ lr: lr!, etaminus: etaminus!, etaplus: etaplus!, smin: smin!, smax: smax! }),
    body: rpropBody(true),
  },
  asgd: { state: 1, prepare: ([eta, wd, decay]) => ({ eta: eta!, wd: wd!, decay: decay! }), body: asgdBody(false) },
  asgdAverage: { state: 1, prepare: ([eta, mu, wd, decay]) => ({ eta: eta!, mu: mu!, wd: wd!, decay: decay! }), body: asgdBody(true) },
  lion: {
    state: 1,
    prepare: ([lr, b1, b2, decay]) => ({ lr: lr!, b1: b1!, omb1: 1 - b1!, b2: b2!, omb2: 1 - b2!, decay: decay! }),
    body: `let gv = g[i] * gs; let mv = st[u.o0 + i];
  let c = mv * b1 + omb1 * gv;
  p[i] = p[i] * decay - lr * sign(c);
  st[u.o0 + i] = mv * b2 + omb2 * gv;`,
  },
};

function adamConstants([step, r, b1, b2, eps, wd, decay]: readonly number[]): Record<string, number> {
  return { lrs: step! / r!, eps: eps! / r!, b1: b1!, omb1: 1 - b1!, b2: b2!, omb2: 1 - b2!, wd: wd!, decay: decay! };
}

/** Constants per dispatch: 12 floats after the four u32 header words. */
export const MAX_CONSTANTS = 12;

/** The uniform block and bindings every kernel shares (one bind group layout for all). */
export const PRELUDE = `
struct U { n: u32, o0: u32, o1: u32, o2: u32, s: array<vec4<f32>, 3> };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> st: array<f32>;
@group(0) @binding(4) var<storage, read> ctl: array<u32>;
`;

/** Workgroup size of the update kernels. */
export const WORKGROUP = 256;

/** The WGSL module of one kernel: its constants in `names` order, then gscale (slot names.length). */
export function kernelSource(name: string, names: readonly string[]): string {
  const k = GPU_KERNELS[name];
  if (!k) throw new Error(`no WebGPU kernel for ${name}`);
  const consts = names.map((c, j) => `  let ${c} = u.s[${j >> 2}][${j & 3}];`).join('\n');
  const gsSlot = names.length;
  return `${PRELUDE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  // ctl[0]: non-zero when this step is skipped (a non-finite gradient); ctl[1]: the clip coefficient's bits
  if (i >= u.n || ctl[0] != 0u) { return; }
${consts}
  let gs = u.s[${gsSlot >> 2}][${gsSlot & 3}] * bitcast<f32>(ctl[1]);
  ${k.body}
}
`;
}

/**
 * The "table" form of a kernel (src/webgpu/plan.ts): one dispatch over a run
 * of tensors that share a parameter and a gradient buffer but are not back to
 * back. `tab` holds the entries (ENTRY = 8 words each: pOff, gOff, s0, s1,
 * s2, n, first workgroup) and per-workgroup indexes; u.o0 is the word offset
 * of this run's index (workgroup -> entry) and u.n its number of workgroups.
 * Each invocation reads its workgroup's entry and runs the same body, with p[i], g[i] and st[u.oK + i] moved to the
 * tensor's offsets.
 */
export function tableKernelSource(name: string, names: readonly string[]): string {
  const k = GPU_KERNELS[name];
  if (!k) throw new Error(`no WebGPU kernel for ${name}`);
  const consts = names.map((c, j) => `  let ${c} = u.s[${j >> 2}][${j & 3}];`).join('\n');
  const gsSlot = names.length;
  const body = k.body.replaceAll('p[i]', 'p[pb + i]').replaceAll('g[i]', 'g[gb + i]').replaceAll('u.o0', 's0').replaceAll('u.o1', 's1').replaceAll('u.o2', 's2');
  return `${PRELUDE}@group(0) @binding(5) var<storage, read_write> tab: array<u32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let wg = wid.x + wid.y * nw.x;
  if (wg >= u.n || ctl[0] != 0u) { return; }
  let e = 8u * tab[u.o0 + wg];
  let i = (wg - tab[e + 6u]) * ${WORKGROUP}u + lid.x;
  if (i >= tab[e + 5u]) { return; }
  let pb = tab[e];
  let gb = tab[e + 1u];
  let s0 = tab[e + 2u];
  let s1 = tab[e + 3u];
  let s2 = tab[e + 4u];
${consts}
  let gs = u.s[${gsSlot >> 2}][${gsSlot & 3}] * bitcast<f32>(ctl[1]);
  ${body}
}
`;
}

/**
 * LAMB, per tensor in two dispatches (assembly/lamb.ts does the same in two
 * passes): `lambMoments` updates m and v and reduces sum p^2 and sum u^2 of
 * its share of the tensor into partials (u = wd*p + (m*c)/(sqrt(v) + eps),
 * c = c1/c2 and eps/c2 in double on the CPU); `lambApply` has each workgroup
 * reduce the tensor's partials to the trust ratio ||p|| / ||u|| (1 if either
 * is 0) and moves p by lr*ratio*u, u formed again from m, v and the unchanged p.
 * u.o2 is the tensor's first partial slot.
 */
export const LAMB_PRELUDE = `${PRELUDE}@group(0) @binding(5) var<storage, read_write> part: array<f32>;
var<workgroup> sp: array<f32, ${WORKGROUP}>;
var<workgroup> su: array<f32, ${WORKGROUP}>;
fn reduceShared(lid: u32) {
  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sp[lid] += sp[lid + s]; su[lid] += su[lid + s]; }
    workgroupBarrier();
  }
}
`;

/** The constants of lambMoments and lambApply, in slot order. */
export const LAMB_MOMENTS = ['c', 'eps', 'b1', 'omb1', 'b2', 'omb2', 'wd', 'gs0'] as const;
export const LAMB_APPLY = ['lrs', 'c', 'eps', 'wd'] as const;

const lambConsts = (names: readonly string[]) => names.map((c, j) => `  let ${c} = u.s[${j >> 2}][${j & 3}];`).join('\n');

export const LAMB_MOMENTS_SOURCE = `${LAMB_PRELUDE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let lid = lid3.x;
${lambConsts(LAMB_MOMENTS)}
  let gs = gs0 * bitcast<f32>(ctl[1]);
  let skip = ctl[0] != 0u;
  var a = 0.0;
  var b = 0.0;
  for (var i = wid.x * ${WORKGROUP}u + lid; i < u.n; i += nw.x * ${WORKGROUP}u) {
    let pv = p[i];
    let d = g[i] * gs;
    let m = st[u.o0 + i] * b1 + omb1 * d;
    let v = st[u.o1 + i] * b2 + omb2 * d * d;
    if (!skip) { st[u.o0 + i] = m; st[u.o1 + i] = v; }
    let uu = wd * pv + (m * c) / (sqrt(v) + eps);
    a += pv * pv;
    b += uu * uu;
  }
  sp[lid] = a;
  su[lid] = b;
  workgroupBarrier();
  reduceShared(lid);
  if (lid == 0u) { part[2u * (u.o2 + wid.x)] = sp[0]; part[2u * (u.o2 + wid.x) + 1u] = su[0]; }
}
`;

export const LAMB_APPLY_SOURCE = `${LAMB_PRELUDE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let lid = lid3.x;
${lambConsts(LAMB_APPLY)}
  sp[lid] = part[2u * (u.o2 + lid)];
  su[lid] = part[2u * (u.o2 + lid) + 1u];
  workgroupBarrier();
  reduceShared(lid);
  let pn = sqrt(sp[0]);
  let un = sqrt(su[0]);
  let ratio = select(pn / un, 1.0, pn == 0.0 || un == 0.0);
  let i = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (i >= u.n || ctl[0] != 0u) { return; }
  let pv = p[i];
  p[i] = pv - (lrs * ratio) * (wd * pv + (st[u.o0 + i] * c) / (sqrt(st[u.o1 + i]) + eps));
}
`;
