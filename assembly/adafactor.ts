// Adafactor (Shazeer & Stern 2018, arXiv:1804.04235), as torch.optim.Adafactor's
// single-tensor path (torch/optim/_adafactor.py), per tensor:
//
//   d     = gscale*g                                    (gscale: -1 to maximize, clip coefficient)
//   alpha = max(eps2, ||p|| / sqrt(n)) * rho            (rho = min(lr, 1/sqrt(t)), from the caller)
//   p     = p*decay                                     (decay = 1 - lr*wd)
//   matrix [B, R, C] (the last two dimensions factored, leading ones batched):
//     row[b,r] = lerp(row[b,r], mean_c d*d, w)          (w = t^beta2Decay)
//     col[b,c] = lerp(col[b,c], mean_r d*d, w)
//     V[b,r,c] = row[b,r]*col[b,c] / max(mean_r row[b,r], eps1)
//   vector: var = lerp(var, d*d, w); V = var
//   U     = d / sqrt(max(V, eps1*eps1))
//   p     = p - (alpha / max(1, rms(U)/dClip)) * U
//
// lerp(a, b, w) is torch's: a + w*(b - a) for |w| < 0.5, else b - (b - a)*(1 - w).
//
// A step is a few calls, each over independent units (src/threads/protocol.ts
// STRIDED_KERNELS: the worker pool hands out contiguous runs of units), so
// that the bits do not depend on how many threads run it:
//
//   ||p||^2              sumSquares (assembly/norm.ts: fixed blocks, added in block order)
//   adafactorRows        unit = row:    row factor from the row's sum of d*d
//   adafactorCols        unit = column: column factor from the column's sum of d*d over rows, in row order
//   adafactorRowsU       unit = row:    the row's sum of U*U, to an f64 slot per row
//   adafactorSum         the slots added left to right (so ||U||^2 is in row order)
//   adafactorMove        unit = row:    p = p*decay + scale*U   (scale from alpha and ||U||, on the caller)
//   vectors: adafactorVecBlocks (unit = block of VEC_BLOCK elements: variance, and the block's
//            sum of U*U to a slot), adafactorSum, adafactorVecMove (unit = element)
//
// Sums over a row or a block use eight partial sums in double: element j goes
// to partial j & 7, the partials are added as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
// the SIMD build holds them in four f64x2, the scalar build in eight doubles.
// A column's sum adds its rows in order (the SIMD build: one f64x2 lane per
// column, 16 columns at a time). Every float32 operation is the same
// instruction in both builds, so the SIMD and scalar builds give the same bits.
// U is formed twice from the same float32 operations (for ||U||, then for the
// move): no buffer of U is kept. The row mean of a batch (max(mean_r row, eps1))
// is summed in double in row order by every call that needs it, from the row
// factors only: every thread gets the same value.

/** Elements per unit of adafactorVecBlocks (src/optimizers/adafactor.ts VEC_BLOCK). */
export const VEC_BLOCK: i32 = 1024;

// @ts-ignore: decorator
@inline function lerp(a: f32, b: f32, w: f32): f32 {
  return abs<f32>(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (<f32>1 - w);
}

// @ts-ignore: decorator
@inline function lerp4(a: v128, b: v128, w: f32): v128 {
  return abs<f32>(w) < 0.5
    ? f32x4.add(a, f32x4.mul(f32x4.splat(w), f32x4.sub(b, a)))
    : f32x4.sub(b, f32x4.mul(f32x4.sub(b, a), f32x4.splat(<f32>1 - w)));
}

/** max(mean of the R row factors at `row`, eps1), the mean summed in double, in order. */
// @ts-ignore: decorator
@inline function rowMean(row: usize, r: i32, eps1: f32): f32 {
  let s: f64 = 0;
  for (let i = 0; i < r; i++) s += <f64>load<f32>(row + (<usize>i << 2));
  return max<f32>(<f32>(s / <f64>r), eps1);
}

// What the 8-partial sums add, squared (MODE_D: d; MODE_U: factored U; MODE_V: U of a
// vector, writing its variance on the way).
const MODE_D = 0;
const MODE_U = 1;
const MODE_V = 2;

/** The value of element at byte offset o (its square is summed). */
// @ts-ignore: decorator
@inline function val1(mode: i32, o: usize, g: usize, x: usize, gs: f32, rv: f32, rm: f32, eps1sq: f32, w: f32): f32 {
  const d = load<f32>(g + o) * gs;
  if (mode == MODE_D) return d;
  if (mode == MODE_U) return d / sqrt<f32>(max<f32>((rv * load<f32>(x + o)) / rm, eps1sq));
  const vv = lerp(load<f32>(x + o), d * d, w);
  store<f32>(x + o, vv);
  return d / sqrt<f32>(max<f32>(vv, eps1sq));
}

/** val1 of four elements at byte offset o. */
// @ts-ignore: decorator
@inline function val4(mode: i32, o: usize, g: usize, x: usize, gs: v128, rv: v128, rm: v128, eps1sq: v128, w: f32): v128 {
  const d = f32x4.mul(v128.load(g + o), gs);
  if (mode == MODE_D) return d;
  if (mode == MODE_U) return f32x4.div(d, f32x4.sqrt(f32x4.max(f32x4.div(f32x4.mul(rv, v128.load(x + o)), rm), eps1sq)));
  const vv = lerp4(v128.load(x + o), f32x4.mul(d, d), w);
  v128.store(x + o, vv);
  return f32x4.div(d, f32x4.sqrt(f32x4.max(vv, eps1sq)));
}

/**
 * Sum over n elements of val^2 in double, element j to partial j & 7 (g: the
 * gradients, x: the column factors (MODE_U) or the variance (MODE_V), both
 * indexed like g).
 */
// @ts-ignore: decorator
@inline function sum8(mode: i32, n: i32, g: usize, x: usize, gs: f32, rv: f32, rm: f32, eps1sq: f32, w: f32): f64 {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  const end8 = (<usize>n & ~7) << 2;
  if (ASC_FEATURE_SIMD) {
    const vGs = f32x4.splat(gs), vRv = f32x4.splat(rv), vRm = f32x4.splat(rm), vEps = f32x4.splat(eps1sq);
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0), a45 = f64x2.splat(0), a67 = f64x2.splat(0);
    for (let o: usize = 0; o < end8; o += 32) {
      const v = val4(mode, o, g, x, vGs, vRv, vRm, vEps, w);
      const u = val4(mode, o + 16, g, x, vGs, vRv, vRm, vEps, w);
      const v01 = f64x2.promote_low_f32x4(v);
      const v23 = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      const u45 = f64x2.promote_low_f32x4(u);
      const u67 = f64x2.promote_low_f32x4(i32x4.shuffle(u, u, 2, 3, 0, 1));
      a01 = f64x2.add(a01, f64x2.mul(v01, v01));
      a23 = f64x2.add(a23, f64x2.mul(v23, v23));
      a45 = f64x2.add(a45, f64x2.mul(u45, u45));
      a67 = f64x2.add(a67, f64x2.mul(u67, u67));
    }
    s0 = f64x2.extract_lane(a01, 0);
    s1 = f64x2.extract_lane(a01, 1);
    s2 = f64x2.extract_lane(a23, 0);
    s3 = f64x2.extract_lane(a23, 1);
    s4 = f64x2.extract_lane(a45, 0);
    s5 = f64x2.extract_lane(a45, 1);
    s6 = f64x2.extract_lane(a67, 0);
    s7 = f64x2.extract_lane(a67, 1);
  } else {
    for (let o: usize = 0; o < end8; o += 32) {
      const e0 = <f64>val1(mode, o, g, x, gs, rv, rm, eps1sq, w), e1 = <f64>val1(mode, o + 4, g, x, gs, rv, rm, eps1sq, w);
      const e2 = <f64>val1(mode, o + 8, g, x, gs, rv, rm, eps1sq, w), e3 = <f64>val1(mode, o + 12, g, x, gs, rv, rm, eps1sq, w);
      const e4 = <f64>val1(mode, o + 16, g, x, gs, rv, rm, eps1sq, w), e5 = <f64>val1(mode, o + 20, g, x, gs, rv, rm, eps1sq, w);
      const e6 = <f64>val1(mode, o + 24, g, x, gs, rv, rm, eps1sq, w), e7 = <f64>val1(mode, o + 28, g, x, gs, rv, rm, eps1sq, w);
      s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3;
      s4 += e4 * e4; s5 += e5 * e5; s6 += e6 * e6; s7 += e7 * e7;
    }
  }
  // tail: at most 7 elements, partials 0..6 in order
  const rest = n & 7;
  for (let j = 0; j < rest; j++) {
    const e = <f64>val1(mode, end8 + (<usize>j << 2), g, x, gs, rv, rm, eps1sq, w);
    const y = e * e;
    if (j == 0) s0 += y;
    else if (j == 1) s1 += y;
    else if (j == 2) s2 += y;
    else if (j == 3) s3 += y;
    else if (j == 4) s4 += y;
    else if (j == 5) s5 += y;
    else s6 += y;
  }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

/**
 * Row factors, unit = row (n rows of c floats, batches back to back):
 * row[i] = lerp(row[i], (sum_j d[i,j]^2) / c, w).
 */
export function adafactorRows(g: usize, row: usize, n: i32, c: i32, w_: f64, gs_: f64): void {
  const gs = <f32>gs_, w = <f32>w_;
  const stride = <usize>c << 2;
  for (let i = 0; i < n; i++) {
    const s = sum8(MODE_D, c, g + <usize>i * stride, 0, gs, 0, 1, 0, w);
    const at = row + (<usize>i << 2);
    store<f32>(at, lerp(load<f32>(at), <f32>(s / <f64>c), w));
  }
}

/**
 * Column factors, unit = column: n columns of b matrices of r rows of ld
 * floats (g: the first column's element in the first row of the first
 * matrix; col: its factor, matrix k's at col + 4*k*ld):
 * col[k,j] = lerp(col[k,j], (sum_i d[k,i,j]^2) / r, w), each sum over rows in order.
 */
export function adafactorCols(g: usize, col: usize, n: i32, ld: i32, r: i32, b: i32, w_: f64, gs_: f64): void {
  const gs = <f32>gs_, w = <f32>w_;
  const rowBytes = <usize>ld << 2;
  const rd = <f64>r;
  for (let k = 0; k < b; k++) {
    const gk = g + <usize>k * <usize>r * rowBytes;
    const ck = col + <usize>k * rowBytes;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      // 16 columns (one cache line of a row) at a time, one f64x2 lane per column
      const vGs = f32x4.splat(gs);
      for (; j + 16 <= n; j += 16) {
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
        let at = gk + (<usize>j << 2);
        for (let i = 0; i < r; i++, at += rowBytes) {
          const x0 = f32x4.mul(v128.load(at), vGs), x1 = f32x4.mul(v128.load(at, 16), vGs);
          const x2 = f32x4.mul(v128.load(at, 32), vGs), x3 = f32x4.mul(v128.load(at, 48), vGs);
          const e0 = f64x2.promote_low_f32x4(x0), e1 = f64x2.promote_low_f32x4(i32x4.shuffle(x0, x0, 2, 3, 0, 1));
          const e2 = f64x2.promote_low_f32x4(x1), e3 = f64x2.promote_low_f32x4(i32x4.shuffle(x1, x1, 2, 3, 0, 1));
          const e4 = f64x2.promote_low_f32x4(x2), e5 = f64x2.promote_low_f32x4(i32x4.shuffle(x2, x2, 2, 3, 0, 1));
          const e6 = f64x2.promote_low_f32x4(x3), e7 = f64x2.promote_low_f32x4(i32x4.shuffle(x3, x3, 2, 3, 0, 1));
          a0 = f64x2.add(a0, f64x2.mul(e0, e0));
          a1 = f64x2.add(a1, f64x2.mul(e1, e1));
          a2 = f64x2.add(a2, f64x2.mul(e2, e2));
          a3 = f64x2.add(a3, f64x2.mul(e3, e3));
          a4 = f64x2.add(a4, f64x2.mul(e4, e4));
          a5 = f64x2.add(a5, f64x2.mul(e5, e5));
          a6 = f64x2.add(a6, f64x2.mul(e6, e6));
          a7 = f64x2.add(a7, f64x2.mul(e7, e7));
        }
        const c = ck + (<usize>j << 2);
        colStore(c, 0, f64x2.extract_lane(a0, 0), rd, w);
        colStore(c, 1, f64x2.extract_lane(a0, 1), rd, w);
        colStore(c, 2, f64x2.extract_lane(a1, 0), rd, w);
        colStore(c, 3, f64x2.extract_lane(a1, 1), rd, w);
        colStore(c, 4, f64x2.extract_lane(a2, 0), rd, w);
        colStore(c, 5, f64x2.extract_lane(a2, 1), rd, w);
        colStore(c, 6, f64x2.extract_lane(a3, 0), rd, w);
        colStore(c, 7, f64x2.extract_lane(a3, 1), rd, w);
        colStore(c, 8, f64x2.extract_lane(a4, 0), rd, w);
        colStore(c, 9, f64x2.extract_lane(a4, 1), rd, w);
        colStore(c, 10, f64x2.extract_lane(a5, 0), rd, w);
        colStore(c, 11, f64x2.extract_lane(a5, 1), rd, w);
        colStore(c, 12, f64x2.extract_lane(a6, 0), rd, w);
        colStore(c, 13, f64x2.extract_lane(a6, 1), rd, w);
        colStore(c, 14, f64x2.extract_lane(a7, 0), rd, w);
        colStore(c, 15, f64x2.extract_lane(a7, 1), rd, w);
      }
    }
    // 4 columns at a time, then one (each column's rows in order, as above)
    for (; j + 4 <= n; j += 4) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      let at = gk + (<usize>j << 2);
      for (let i = 0; i < r; i++, at += rowBytes) {
        const e0 = <f64>(load<f32>(at) * gs), e1 = <f64>(load<f32>(at, 4) * gs);
        const e2 = <f64>(load<f32>(at, 8) * gs), e3 = <f64>(load<f32>(at, 12) * gs);
        s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3;
      }
      const c = ck + (<usize>j << 2);
      colStore(c, 0, s0, rd, w);
      colStore(c, 1, s1, rd, w);
      colStore(c, 2, s2, rd, w);
      colStore(c, 3, s3, rd, w);
    }
    for (; j < n; j++) {
      let s: f64 = 0;
      let at = gk + (<usize>j << 2);
      for (let i = 0; i < r; i++, at += rowBytes) {
        const e = <f64>(load<f32>(at) * gs);
        s += e * e;
      }
      colStore(ck + (<usize>j << 2), 0, s, rd, w);
    }
  }
}

/** col[k] = lerp(col[k], s / r, w). */
// @ts-ignore: decorator
@inline function colStore(c: usize, k: i32, s: f64, r: f64, w: f32): void {
  const at = c + (<usize>k << 2);
  store<f32>(at, lerp(load<f32>(at), <f32>(s / r), w));
}

/**
 * ||U||^2 per row, unit = row: part[i] (f64) = sum_j U[i,j]^2, the 8 partials'
 * order. Rows are those of matrices of r rows of c floats back to back; the
 * row's matrix k is found from its row factor's place after `rowBase` (the
 * tensor's first row factor): its column factors are at col + 4*k*c, its row
 * mean max(mean of rowBase[k*r .. k*r + r), eps1).
 */
export function adafactorRowsU(g: usize, row: usize, part: usize, n: i32, rowBase: usize, col: usize, r: i32, c: i32, eps1_: f64, gs_: f64): void {
  const gs = <f32>gs_, eps1 = <f32>eps1_, eps1sq = <f32>(eps1_ * eps1_);
  const stride = <usize>c << 2;
  const first = <i32>((row - rowBase) >> 2);
  let k = -1;
  let rm: f32 = 0;
  let colk: usize = 0;
  for (let i = 0; i < n; i++) {
    const kk = (first + i) / r;
    if (kk != k) {
      k = kk;
      rm = rowMean(rowBase + ((<usize>k * <usize>r) << 2), r, eps1);
      colk = col + <usize>k * stride;
    }
    const rv = load<f32>(row + (<usize>i << 2));
    store<f64>(part + (<usize>i << 3), sum8(MODE_U, c, g + <usize>i * stride, colk, gs, rv, rm, eps1sq, 0));
  }
}

/** The sum of n doubles at x, left to right (the per-row or per-block parts of ||U||^2). */
export function adafactorSum(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += load<f64>(x + (<usize>i << 3));
  return s;
}

/**
 * The move, unit = row (rows, matrices and row means as adafactorRowsU):
 * p = p*decay + scale*U.
 */
export function adafactorMove(
  p: usize, g: usize, row: usize, n: i32, rowBase: usize, col: usize, r: i32, c: i32, scale_: f64, eps1_: f64, decay_: f64, gs_: f64,
): void {
  const gs = <f32>gs_, eps1 = <f32>eps1_, eps1sq = <f32>(eps1_ * eps1_), scale = <f32>scale_, decay = <f32>decay_;
  const stride = <usize>c << 2;
  const first = <i32>((row - rowBase) >> 2);
  let k = -1;
  let rm: f32 = 0;
  let colk: usize = 0;
  const end4 = (<usize>c & ~3) << 2;
  for (let i = 0; i < n; i++) {
    const kk = (first + i) / r;
    if (kk != k) {
      k = kk;
      rm = rowMean(rowBase + ((<usize>k * <usize>r) << 2), r, eps1);
      colk = col + <usize>k * stride;
    }
    const rv = load<f32>(row + (<usize>i << 2));
    const pi = p + <usize>i * stride, gi = g + <usize>i * stride;
    let o: usize = 0;
    if (ASC_FEATURE_SIMD) {
      const vGs = f32x4.splat(gs), vRv = f32x4.splat(rv), vRm = f32x4.splat(rm), vEps = f32x4.splat(eps1sq);
      const vScale = f32x4.splat(scale), vDecay = f32x4.splat(decay);
      for (; o < end4; o += 16) {
        const u = val4(MODE_U, o, gi, colk, vGs, vRv, vRm, vEps, 0);
        v128.store(pi + o, f32x4.add(f32x4.mul(v128.load(pi + o), vDecay), f32x4.mul(vScale, u)));
      }
    }
    const end = <usize>c << 2;
    for (; o < end; o += 4) {
      const u = val1(MODE_U, o, gi, colk, gs, rv, rm, eps1sq, 0);
      store<f32>(pi + o, load<f32>(pi + o) * decay + scale * u);
    }
  }
}

/**
 * Vector variance and ||U||^2 per block, unit = block of VEC_BLOCK elements
 * (the last block ends at byte address gEnd of g): v = lerp(v, d*d, w),
 * part[j] (f64) = sum over block j of U^2, the 8 partials' order.
 */
export function adafactorVecBlocks(g: usize, v: usize, part: usize, n: i32, gEnd: usize, w_: f64, eps1_: f64, gs_: f64): void {
  const gs = <f32>gs_, w = <f32>w_, eps1sq = <f32>(eps1_ * eps1_);
  const bytes = <usize>VEC_BLOCK << 2;
  for (let j = 0; j < n; j++) {
    const gj = g + <usize>j * bytes;
    const len = <i32>min<usize>(<usize>VEC_BLOCK, (gEnd - gj) >> 2);
    store<f64>(part + (<usize>j << 3), sum8(MODE_V, len, gj, v + <usize>j * bytes, gs, 0, 1, eps1sq, w));
  }
}

/** Vector move, unit = element: p = p*decay + scale*d/sqrt(max(v, eps1^2)). */
export function adafactorVecMove(p: usize, g: usize, v: usize, n: i32, scale_: f64, eps1_: f64, decay_: f64, gs_: f64): void {
  const gs = <f32>gs_, eps1sq = <f32>(eps1_ * eps1_), scale = <f32>scale_, decay = <f32>decay_;
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const vGs = f32x4.splat(gs), vEps = f32x4.splat(eps1sq), vScale = f32x4.splat(scale), vDecay = f32x4.splat(decay);
    const end4 = (<usize>n & ~3) << 2;
    for (; o < end4; o += 16) {
      const u = f32x4.div(f32x4.mul(v128.load(g + o), vGs), f32x4.sqrt(f32x4.max(v128.load(v + o), vEps)));
      v128.store(p + o, f32x4.add(f32x4.mul(v128.load(p + o), vDecay), f32x4.mul(vScale, u)));
    }
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) {
    const u = (load<f32>(g + o) * gs) / sqrt<f32>(max<f32>(load<f32>(v + o), eps1sq));
    store<f32>(p + o, load<f32>(p + o) * decay + scale * u);
  }
}
