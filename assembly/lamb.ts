import { flushTiny, flush, flush4 } from './common';

// LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training
// BERT in 76 minutes", arXiv:1904.00962, Algorithm 2), per tensor (layer):
//
//   m = b1*m + (1-b1)*g
//   v = b2*v + (1-b2)*g*g
//   u = (m*c1) / (sqrt(v)*c2 + eps) + wd*p      c1 = 1/(1-b1^t), c2 = 1/sqrt(1-b2^t)
//   p = p - lr*ratio*u                          ratio = ||p|| / ||u|| (1 if either is 0)
//
// The trust ratio needs two norms of the whole tensor before any p may move,
// so a step is two passes per tensor:
//   1. lambMoments updates m and v, forms u, and sums p*p and u*u in double;
//   2. the caller takes the ratio (in double) and lambApply moves p, forming u
//      again from the stored m, v and the unchanged p (the same float32
//      operations, so the same bits).
// Recomputing u instead of storing it moves the same bytes as a scratch
// buffer would (pass 2 reads m and v instead of writing and re-reading u), needs
// no extra memory and leaves the gradient slots untouched.
//
// The sums use four partial sums, element i going to partial i & 3, added as
// (s0 + s1) + (s2 + s3): the SIMD build (two f64x2 accumulators) and the
// scalar build add the same numbers in the same order, so both give the same
// bits. Squares of float32 values are exact in double.

let sumP: f64 = 0;
let sumU: f64 = 0;

/** sum p*p of the last lambMoments call (the squared norm of the tensor before the step). */
export function lambParamSumSq(): f64 {
  return sumP;
}

/** sum u*u of the last lambMoments call (the squared norm of the update direction). */
export function lambUpdateSumSq(): f64 {
  return sumU;
}

// @ts-ignore: decorator
@inline function direction(mv: f32, vv: f32, pv: f32, c1: f32, c2: f32, eps: f32, wd: f32): f32 {
  return (mv * c1) / (sqrt<f32>(vv) * c2 + eps) + wd * pv;
}

// @ts-ignore: decorator
@inline function direction4(mv: v128, vv: v128, pv: v128, c1: v128, c2: v128, eps: v128, wd: v128): v128 {
  return f32x4.add(f32x4.div(f32x4.mul(mv, c1), f32x4.add(f32x4.mul(f32x4.sqrt(vv), c2), eps)), f32x4.mul(wd, pv));
}

/** Pass 1: m, v and the two squared norms (read with lambParamSumSq / lambUpdateSumSq). m, v flushed below FLT_MIN. */
export function lambMoments(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  c1_: f64, c2_: f64, eps_: f64, b1_: f64, b2_: f64, wd_: f64, gscale_: f64,
): void {
  const gscale = <f32>gscale_;
  const c1 = <f32>c1_, c2 = <f32>c2_, eps = <f32>eps_, wd = <f32>wd_;
  const b1 = <f32>b1_, b2 = <f32>b2_, omb1 = <f32>(1 - b1_), omb2 = <f32>(1 - b2_);
  let p0: f64 = 0, p1: f64 = 0, p2: f64 = 0, p3: f64 = 0;
  let u0: f64 = 0, u1: f64 = 0, u2: f64 = 0, u3: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vC1 = f32x4.splat(c1);
    const vGs = f32x4.splat(gscale);
    const vC2 = f32x4.splat(c2);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vB1 = f32x4.splat(b1);
    const vB2 = f32x4.splat(b2);
    const vOmb1 = f32x4.splat(omb1);
    const vOmb2 = f32x4.splat(omb2);
    const vTiny = f32x4.splat(flushTiny);
    let accP01 = f64x2.splat(0), accP23 = f64x2.splat(0);
    let accU01 = f64x2.splat(0), accU23 = f64x2.splat(0);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const gv = f32x4.mul(v128.load(g + o), vGs);
      const mv = flush4(f32x4.add(f32x4.mul(v128.load(m + o), vB1), f32x4.mul(vOmb1, gv)), vTiny);
      const vv = flush4(f32x4.add(f32x4.mul(v128.load(v + o), vB2), f32x4.mul(f32x4.mul(vOmb2, gv), gv)), vTiny);
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      const u = direction4(mv, vv, pv, vC1, vC2, vEps, vWd);
      const pLo = f64x2.promote_low_f32x4(pv);
      const pHi = f64x2.promote_low_f32x4(v128.shuffle<f32>(pv, pv, 2, 3, 2, 3));
      const uLo = f64x2.promote_low_f32x4(u);
      const uHi = f64x2.promote_low_f32x4(v128.shuffle<f32>(u, u, 2, 3, 2, 3));
      accP01 = f64x2.add(accP01, f64x2.mul(pLo, pLo));
      accP23 = f64x2.add(accP23, f64x2.mul(pHi, pHi));
      accU01 = f64x2.add(accU01, f64x2.mul(uLo, uLo));
      accU23 = f64x2.add(accU23, f64x2.mul(uHi, uHi));
    }
    p0 = f64x2.extract_lane(accP01, 0);
    p1 = f64x2.extract_lane(accP01, 1);
    p2 = f64x2.extract_lane(accP23, 0);
    p3 = f64x2.extract_lane(accP23, 1);
    u0 = f64x2.extract_lane(accU01, 0);
    u1 = f64x2.extract_lane(accU01, 1);
    u2 = f64x2.extract_lane(accU23, 0);
    u3 = f64x2.extract_lane(accU23, 1);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) * gscale;
    const mv = flush(load<f32>(m + o) * b1 + omb1 * gv);
    const vv = flush(load<f32>(v + o) * b2 + omb2 * gv * gv);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    const u = direction(mv, vv, pv, c1, c2, eps, wd);
    const pp = <f64>pv * <f64>pv;
    const uu = <f64>u * <f64>u;
    const lane = i & 3;
    if (lane == 0) {
      p0 += pp;
      u0 += uu;
    } else if (lane == 1) {
      p1 += pp;
      u1 += uu;
    } else if (lane == 2) {
      p2 += pp;
      u2 += uu;
    } else {
      p3 += pp;
      u3 += uu;
    }
  }
  sumP = (p0 + p1) + (p2 + p3);
  sumU = (u0 + u1) + (u2 + u3);
}

/** Pass 2: p = p - scale*u, u formed again from m, v and p; scale = lr*ratio from the caller. */
export function lambApply(
  p: usize, m: usize, v: usize, n: i32,
  scale_: f64, c1_: f64, c2_: f64, eps_: f64, wd_: f64,
): void {
  const scale = <f32>scale_, c1 = <f32>c1_, c2 = <f32>c2_, eps = <f32>eps_, wd = <f32>wd_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vScale = f32x4.splat(scale);
    const vC1 = f32x4.splat(c1);
    const vC2 = f32x4.splat(c2);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const u = direction4(v128.load(m + o), v128.load(v + o), pv, vC1, vC2, vEps, vWd);
      v128.store(p + o, f32x4.sub(pv, f32x4.mul(vScale, u)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const u = direction(load<f32>(m + o), load<f32>(v + o), pv, c1, c2, eps, wd);
    store<f32>(p + o, pv - scale * u);
  }
}
