import { flushTiny, flushIf, flushIf4, flushPosIf, flushPosIf4, madd4, nmadd4 } from './common';
import { REDUCE_BLOCK } from './norm';

// LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training
// BERT in 76 minutes", arXiv:1904.00962, Algorithm 2), per tensor (layer):
//
//   m = b1*m + (1-b1)*d                          d = gscale*g
//   v = b2*v + (1-b2)*d*d
//   u = (m*c1) / (sqrt(v)*c2 + eps) + wd*p       c1 = 1/(1-b1^t), c2 = 1/sqrt(1-b2^t)
//     = (m*(c1/c2)) / (sqrt(v) + eps/c2) + wd*p  (evaluated: one multiply fewer, as Adam)
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
// no extra memory and leaves the gradient slots untouched. Bytes per element:
// pass 1 reads p, g and reads+writes m, v (24), pass 2 reads m, v and reads+writes p (16).
//
// The sums use four partial sums in a fixed order, the same in both builds:
// in each block of 16 elements, partial k gets ((x[k]^2 + x[k+4]^2) + (x[k+8]^2 + x[k+12]^2));
// after the last whole block, element i goes to partial i & 3; the result is
// (s0 + s1) + (s2 + s3). The SIMD build holds the partials in f64x2 pairs, the
// scalar build in four doubles. Squares of float32 values are exact in double.
// Blocks: that sum runs over fixed blocks of REDUCE_BLOCK (16,384) elements
// (assembly/norm.ts), and the block sums are added left to right, so the
// worker pool can run blocks on different threads and add their sums in the
// same order: the same bits for any thread count.

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
@inline function direction(mv: f32, vv: f32, pv: f32, c: f32, eps: f32, wd: f32): f32 {
  return wd * pv + (mv * c) / (sqrt<f32>(vv) + eps);
}

// @ts-ignore: decorator
@inline function direction4(mv: v128, vv: v128, pv: v128, c: v128, eps: v128, wd: v128): v128 {
  return madd4(wd, pv, f32x4.div(f32x4.mul(mv, c), f32x4.add(f32x4.sqrt(vv), eps)));
}

/** x*x of the low and high halves of a float32 vector, in double. */
// @ts-ignore: decorator
@inline function sqLo(x: v128): v128 {
  const lo = f64x2.promote_low_f32x4(x);
  return f64x2.mul(lo, lo);
}
// @ts-ignore: decorator
@inline function sqHi(x: v128): v128 {
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
  return f64x2.mul(hi, hi);
}

/** One vector of pass 1: m, v stored; returns u; p is pv. */
// @ts-ignore: decorator
@inline function momentsVec(
  pv: v128, g: usize, m: usize, v: usize,
  vC: v128, vB1: v128, vOmb1: v128, vB2: v128, vOmb2: v128, vEps: v128, vWd: v128, vGs: v128, vTiny: v128,
  scaled: bool, flushing: bool,
): v128 {
  const gv = scaled ? f32x4.mul(v128.load(g), vGs) : v128.load(g);
  const mv = flushIf4(madd4(v128.load(m), vB1, f32x4.mul(vOmb1, gv)), vTiny, flushing);
  const vv = flushPosIf4(madd4(v128.load(v), vB2, f32x4.mul(f32x4.mul(vOmb2, gv), gv)), vTiny, flushing);
  v128.store(m, mv);
  v128.store(v, vv);
  return direction4(mv, vv, pv, vC, vEps, vWd);
}

/** `momentsVec` on one element. */
// @ts-ignore: decorator
@inline function momentsOne(
  pv: f32, g: usize, m: usize, v: usize,
  c: f32, b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, wd: f32, gscale: f32,
  scaled: bool, flushing: bool,
): f32 {
  const gv = scaled ? load<f32>(g) * gscale : load<f32>(g);
  const mv = flushIf(load<f32>(m) * b1 + omb1 * gv, flushing);
  const vv = flushPosIf(load<f32>(v) * b2 + omb2 * gv * gv, flushing);
  store<f32>(m, mv);
  store<f32>(v, vv);
  return direction(mv, vv, pv, c, eps, wd);
}

// @ts-ignore: decorator
@inline function momentsCore(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  c1_: f64, c2_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, gscale_: f64,
  scaled: bool, flushing: bool,
): void {
  const gscale = <f32>gscale_, c = <f32>(c1_ / c2_), eps = <f32>(eps_ / c2_), wd = <f32>wd_;
  const b1 = <f32>b1_, b2 = <f32>b2_;
  // gscale = ±1: (1-b1)*(±g) = ((1-b1)*±1)*g bit for bit; v only sees g*g
  const omb1 = scaled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale, omb2 = <f32>(1 - b2_);
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  let u0: f64 = 0, u1: f64 = 0, u2: f64 = 0, u3: f64 = 0;
  const end16 = (<usize>n & ~15) << 2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vC = f32x4.splat(c), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    let p01 = f64x2.splat(0), p23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
    let o: usize = 0;
    for (; o < end16; o += 64) {
      const pa = v128.load(p + o), pb = v128.load(p + o + 16), pc = v128.load(p + o + 32), pd = v128.load(p + o + 48);
      const ua = momentsVec(pa, g + o, m + o, v + o, vC, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vGs, vTiny, scaled, flushing);
      const ub = momentsVec(pb, g + o + 16, m + o + 16, v + o + 16, vC, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vGs, vTiny, scaled, flushing);
      const uc = momentsVec(pc, g + o + 32, m + o + 32, v + o + 32, vC, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vGs, vTiny, scaled, flushing);
      const ud = momentsVec(pd, g + o + 48, m + o + 48, v + o + 48, vC, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vGs, vTiny, scaled, flushing);
      p01 = f64x2.add(p01, f64x2.add(f64x2.add(sqLo(pa), sqLo(pb)), f64x2.add(sqLo(pc), sqLo(pd))));
      p23 = f64x2.add(p23, f64x2.add(f64x2.add(sqHi(pa), sqHi(pb)), f64x2.add(sqHi(pc), sqHi(pd))));
      q01 = f64x2.add(q01, f64x2.add(f64x2.add(sqLo(ua), sqLo(ub)), f64x2.add(sqLo(uc), sqLo(ud))));
      q23 = f64x2.add(q23, f64x2.add(f64x2.add(sqHi(ua), sqHi(ub)), f64x2.add(sqHi(uc), sqHi(ud))));
    }
    const end4 = (<usize>n & ~3) << 2;
    for (; o < end4; o += 16) {
      const pa = v128.load(p + o);
      const ua = momentsVec(pa, g + o, m + o, v + o, vC, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vGs, vTiny, scaled, flushing);
      p01 = f64x2.add(p01, sqLo(pa));
      p23 = f64x2.add(p23, sqHi(pa));
      q01 = f64x2.add(q01, sqLo(ua));
      q23 = f64x2.add(q23, sqHi(ua));
    }
    s0 = f64x2.extract_lane(p01, 0);
    s1 = f64x2.extract_lane(p01, 1);
    s2 = f64x2.extract_lane(p23, 0);
    s3 = f64x2.extract_lane(p23, 1);
    u0 = f64x2.extract_lane(q01, 0);
    u1 = f64x2.extract_lane(q01, 1);
    u2 = f64x2.extract_lane(q23, 0);
    u3 = f64x2.extract_lane(q23, 1);
    i = n & ~3;
  } else {
    // whole blocks of 16, summed in the SIMD build's tree
    for (let o: usize = 0; o < end16; o += 64) {
      for (let k: usize = 0; k < 4; k++) {
        const e = o + (k << 2);
        const pa = load<f32>(p + e), pb = load<f32>(p + e, 16), pc = load<f32>(p + e, 32), pd = load<f32>(p + e, 48);
        const ua = <f64>momentsOne(pa, g + e, m + e, v + e, c, b1, omb1, b2, omb2, eps, wd, gscale, scaled, flushing);
        const ub = <f64>momentsOne(pb, g + e + 16, m + e + 16, v + e + 16, c, b1, omb1, b2, omb2, eps, wd, gscale, scaled, flushing);
        const uc = <f64>momentsOne(pc, g + e + 32, m + e + 32, v + e + 32, c, b1, omb1, b2, omb2, eps, wd, gscale, scaled, flushing);
        const ud = <f64>momentsOne(pd, g + e + 48, m + e + 48, v + e + 48, c, b1, omb1, b2, omb2, eps, wd, gscale, scaled, flushing);
        const xa = <f64>pa, xb = <f64>pb, xc = <f64>pc, xd = <f64>pd;
        const sp = (xa * xa + xb * xb) + (xc * xc + xd * xd);
        const su = (ua * ua + ub * ub) + (uc * uc + ud * ud);
        if (k == 0) {
          s0 += sp;
          u0 += su;
        } else if (k == 1) {
          s1 += sp;
          u1 += su;
        } else if (k == 2) {
          s2 += sp;
          u2 += su;
        } else {
          s3 += sp;
          u3 += su;
        }
      }
    }
    i = n & ~15;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const u = momentsOne(pv, g + o, m + o, v + o, c, b1, omb1, b2, omb2, eps, wd, gscale, scaled, flushing);
    const pp = <f64>pv * <f64>pv;
    const uu = <f64>u * <f64>u;
    const lane = i & 3;
    if (lane == 0) {
      s0 += pp;
      u0 += uu;
    } else if (lane == 1) {
      s1 += pp;
      u1 += uu;
    } else if (lane == 2) {
      s2 += pp;
      u2 += uu;
    } else {
      s3 += pp;
      u3 += uu;
    }
  }
  sumP += (s0 + s1) + (s2 + s3);
  sumU += (u0 + u1) + (u2 + u3);
}

/** Pass 1: m, v and the two squared norms (read with lambParamSumSq / lambUpdateSumSq). m, v flushed on flush steps. */
export function lambMoments(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  c1: f64, c2: f64, b1: f64, b2: f64, eps: f64, wd: f64, gscale: f64,
): void {
  const sc = abs(gscale) != 1, fl = flushTiny != 0;
  sumP = 0;
  sumU = 0;
  // fixed blocks, their sums added in order (momentsCore adds to sumP, sumU)
  for (let j = 0; j < n; j += REDUCE_BLOCK) {
    const o = <usize>j << 2, b = min(REDUCE_BLOCK, n - j);
    if (sc) {
      if (fl) momentsCore(p + o, g + o, m + o, v + o, b, c1, c2, b1, b2, eps, wd, gscale, true, true);
      else momentsCore(p + o, g + o, m + o, v + o, b, c1, c2, b1, b2, eps, wd, gscale, true, false);
    } else if (fl) momentsCore(p + o, g + o, m + o, v + o, b, c1, c2, b1, b2, eps, wd, gscale, false, true);
    else momentsCore(p + o, g + o, m + o, v + o, b, c1, c2, b1, b2, eps, wd, gscale, false, false);
  }
}

// @ts-ignore: decorator
@inline function applyVec(p: usize, m: usize, v: usize, vScale: v128, vC: v128, vEps: v128, vWd: v128): void {
  const pv = v128.load(p);
  v128.store(p, nmadd4(vScale, direction4(v128.load(m), v128.load(v), pv, vC, vEps, vWd), pv));
}

/** Pass 2: p = p - scale*u, u formed again from m, v and p; scale = lr*ratio from the caller. */
export function lambApply(
  p: usize, m: usize, v: usize, n: i32,
  scale_: f64, c1_: f64, c2_: f64, eps_: f64, wd_: f64,
): void {
  const scale = <f32>scale_, c = <f32>(c1_ / c2_), eps = <f32>(eps_ / c2_), wd = <f32>wd_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vScale = f32x4.splat(scale), vC = f32x4.splat(c), vEps = f32x4.splat(eps), vWd = f32x4.splat(wd);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      applyVec(p + o, m + o, v + o, vScale, vC, vEps, vWd);
      applyVec(p + o + 16, m + o + 16, v + o + 16, vScale, vC, vEps, vWd);
      applyVec(p + o + 32, m + o + 32, v + o + 32, vScale, vC, vEps, vWd);
      applyVec(p + o + 48, m + o + 48, v + o + 48, vScale, vC, vEps, vWd);
    }
    for (; o < end4; o += 16) applyVec(p + o, m + o, v + o, vScale, vC, vEps, vWd);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    store<f32>(p + o, pv - scale * direction(load<f32>(m + o), load<f32>(v + o), pv, c, eps, wd));
  }
}
