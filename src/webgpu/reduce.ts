// The gradient check of a step on the GPU, in two passes of one compute pass:
//
//   1. per tensor, up to PARTIALS workgroups each reduce a strided share of
//      its gradient to one partial: sum g^2 (norm type 2), sum |g| (1) or
//      max |g| (Infinity), and whether any element is NaN or +-Infinity
//      (decided on the bits: exponent all ones, so no fast-math can hide it);
//   2. one workgroup reduces every partial and writes the control words the
//      update kernels read: ctl[0] = 1 to skip the step (a non-finite
//      gradient under checkFinite or skipNonFinite), ctl[1] = the clip
//      coefficient c = min(1, maxGradNorm / (norm + 1e-6)) (torch's
//      clip_grad_norm_), ctl[2] = the norm, ctl[3] += 1 per skipped step.
//
// Without maxGradNorm the coefficient is 1; without a check nothing runs and
// the control words stay [0, 1, 0, 0].

/** Partials per tensor (workgroups of pass 1 at most). */
export const PARTIALS = 256;

/** The norm type as the shaders number it. */
export function normKind(normType: number): number {
  return normType === 2 ? 0 : normType === 1 ? 1 : 2;
}

const COMBINE = `
fn combine(a: f32, b: f32, kind: u32) -> f32 {
  if (kind == 2u) { return max(a, b); }
  return a + b;
}`;

/** Pass 1: r = { n, base (first partial slot), kind }. */
export const PARTIAL_SOURCE = `
struct R { n: u32, base: u32, kind: u32, pad: u32 };
@group(0) @binding(0) var<uniform> r: R;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<u32>;
var<workgroup> acc: array<f32, 256>;
var<workgroup> bad: array<u32, 256>;
${COMBINE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  var a = 0.0;
  var b = 0u;
  for (var i = wid.x * 256u + lid.x; i < r.n; i += nw.x * 256u) {
    let x = g[i];
    if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) {
      b = 1u;
    } else {
      let ax = abs(x);
      if (r.kind == 0u) { a += ax * ax; } else { a = combine(a, ax, r.kind); }
    }
  }
  acc[lid.x] = a;
  bad[lid.x] = b;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      acc[lid.x] = combine(acc[lid.x], acc[lid.x + s], r.kind);
      bad[lid.x] = bad[lid.x] | bad[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    part[2u * (r.base + wid.x)] = bitcast<u32>(acc[0]);
    part[2u * (r.base + wid.x) + 1u] = bad[0];
  }
}
`;

/**
 * Pass 2: f = { count (partial slots), kind, clip (0/1), check (0/1), maxNorm, nanBits (a quiet NaN's bits: WGSL refuses a
 * NaN constant), accumulate (0/1: OR the skip into a control buffer shared by several optimizers, GpuOptimizer.stepTogether) }.
 */
export const FINAL_SOURCE = `
struct F { count: u32, kind: u32, clip: u32, check: u32, maxNorm: f32, nanBits: u32, accumulate: u32, pad2: u32 };
@group(0) @binding(0) var<uniform> f: F;
@group(0) @binding(1) var<storage, read> part: array<u32>;
@group(0) @binding(2) var<storage, read_write> ctl: array<u32>;
var<workgroup> acc: array<f32, 256>;
var<workgroup> bad: array<u32, 256>;
${COMBINE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var a = 0.0;
  var b = 0u;
  for (var i = lid.x; i < f.count; i += 256u) {
    a = combine(a, bitcast<f32>(part[2u * i]), f.kind);
    b = b | part[2u * i + 1u];
  }
  acc[lid.x] = a;
  bad[lid.x] = b;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid.x < s) {
      acc[lid.x] = combine(acc[lid.x], acc[lid.x + s], f.kind);
      bad[lid.x] = bad[lid.x] | bad[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var norm = acc[0];
    if (f.kind == 0u) { norm = sqrt(norm); }
    // a non-finite gradient makes the norm NaN, as it does in the WebAssembly step (there it is never clipped by)
    if (bad[0] != 0u) { norm = bitcast<f32>(f.nanBits); }
    var c = 1.0;
    if (f.clip != 0u && bad[0] == 0u) { c = min(1.0, f.maxNorm / (norm + 1e-6)); }
    if (f.clip != 0u && bad[0] != 0u) { c = bitcast<f32>(f.nanBits); }
    let skip = select(0u, 1u, bad[0] != 0u && f.check != 0u);
    if (f.accumulate != 0u) {
      // a control buffer shared by the optimizers of one submission: any skip skips them all, counted once
      let was = ctl[0];
      ctl[0] = was | skip;
      ctl[3] = ctl[3] + (skip & (1u - was));
    } else {
      ctl[0] = skip;
      ctl[1] = bitcast<u32>(c);
      ctl[2] = bitcast<u32>(norm);
      ctl[3] = ctl[3] + skip;
    }
  }
}
`;
