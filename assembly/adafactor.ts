// Adafactor (Shazeer & Stern 2018, arXiv:1804.04235), as torch.optim.Adafactor's
// single-tensor path (torch/optim/_adafactor.py), one tensor per call:
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
// Every reduction (||p||, the row and column sums of d*d, the mean of row,
// ||U||) is a plain left-to-right sum in double, in one fixed order, so
// results do not depend on the build or (later) on a thread count. U is
// formed twice from the same float32 operations (once for ||U||, once for the
// move), so no scratch buffer is needed. Scalar code only: the SIMD and
// scalar builds are the same instructions, bit for bit.

let lastAlphaNorm: f64 = 0;

/** ||p||^2 of the last call's parameter before the step (for tests and diagnostics). */
export function adafactorParamSumSq(): f64 {
  return lastAlphaNorm;
}

// @ts-ignore: decorator
@inline function lerp(a: f32, b: f32, w: f32): f32 {
  return abs<f32>(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (<f32>1 - w);
}

// @ts-ignore: decorator
@inline function sumSq(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// @ts-ignore: decorator
@inline function decayAll(p: usize, n: i32, decay: f32): void {
  for (let i = 0; i < n; i++) {
    const o = p + (<usize>i << 2);
    store<f32>(o, load<f32>(o) * decay);
  }
}

/**
 * One factored step of a tensor of B matrices of R rows and C columns (n = B*R*C):
 * row holds B*R floats, col B*C.
 */
export function adafactorMatrix(
  p: usize, g: usize, row: usize, col: usize, b: i32, r: i32, c: i32,
  rho: f64, w_: f64, eps1_: f64, eps2: f64, dClip: f64, decay_: f64, gscale_: f64,
): void {
  const n = b * r * c;
  if (n == 0) return;
  const gs = <f32>gscale_, w = <f32>w_, eps1 = <f32>eps1_, eps1sq = <f32>(eps1_ * eps1_), decay = <f32>decay_;
  const pp = sumSq(p, n);
  lastAlphaNorm = pp;
  const alpha = max(eps2, Math.sqrt(pp) / Math.sqrt(<f64>n)) * rho;
  if (decay != 1) decayAll(p, n, decay);
  const rc = <usize>(r * c);
  // 1. the factors, and their row means
  let uu: f64 = 0;
  for (let bi = 0; bi < b; bi++) {
    const gb = g + ((<usize>bi * rc) << 2);
    const rowb = row + ((<usize>bi * <usize>r) << 2);
    const colb = col + ((<usize>bi * <usize>c) << 2);
    for (let i = 0; i < r; i++) {
      let s: f64 = 0;
      const gr = gb + ((<usize>i * <usize>c) << 2);
      for (let j = 0; j < c; j++) {
        const d = <f64>(load<f32>(gr + (<usize>j << 2)) * gs);
        s += d * d;
      }
      const at = rowb + (<usize>i << 2);
      store<f32>(at, lerp(load<f32>(at), <f32>(s / <f64>c), w));
    }
    for (let j = 0; j < c; j++) {
      let s: f64 = 0;
      for (let i = 0; i < r; i++) {
        const d = <f64>(load<f32>(gb + ((<usize>i * <usize>c + <usize>j) << 2)) * gs);
        s += d * d;
      }
      const at = colb + (<usize>j << 2);
      store<f32>(at, lerp(load<f32>(at), <f32>(s / <f64>r), w));
    }
    // 2. ||U||^2 over this matrix
    const rm = rowMean(rowb, r, eps1);
    for (let i = 0; i < r; i++) {
      const rv = load<f32>(rowb + (<usize>i << 2));
      const gr = gb + ((<usize>i * <usize>c) << 2);
      for (let j = 0; j < c; j++) {
        const u = <f64>factored(load<f32>(gr + (<usize>j << 2)) * gs, rv, load<f32>(colb + (<usize>j << 2)), rm, eps1sq);
        uu += u * u;
      }
    }
  }
  const scale = <f32>(-alpha / max(1.0, Math.sqrt(uu) / (Math.sqrt(<f64>n) * dClip)));
  // 3. the move, U formed again
  for (let bi = 0; bi < b; bi++) {
    const gb = g + ((<usize>bi * rc) << 2);
    const pb = p + ((<usize>bi * rc) << 2);
    const rowb = row + ((<usize>bi * <usize>r) << 2);
    const colb = col + ((<usize>bi * <usize>c) << 2);
    const rm = rowMean(rowb, r, eps1);
    for (let i = 0; i < r; i++) {
      const rv = load<f32>(rowb + (<usize>i << 2));
      const off = (<usize>i * <usize>c) << 2;
      for (let j = 0; j < c; j++) {
        const o = off + (<usize>j << 2);
        const u = factored(load<f32>(gb + o) * gs, rv, load<f32>(colb + (<usize>j << 2)), rm, eps1sq);
        store<f32>(pb + o, load<f32>(pb + o) + scale * u);
      }
    }
  }
}

/** max(mean of the R row factors, eps1), the mean summed in double, in order. */
// @ts-ignore: decorator
@inline function rowMean(row: usize, r: i32, eps1: f32): f32 {
  let s: f64 = 0;
  for (let i = 0; i < r; i++) s += <f64>load<f32>(row + (<usize>i << 2));
  return max<f32>(<f32>(s / <f64>r), eps1);
}

/** U = d / sqrt(max(row*col/rm, eps1^2)). */
// @ts-ignore: decorator
@inline function factored(d: f32, rv: f32, cv: f32, rm: f32, eps1sq: f32): f32 {
  return d / sqrt<f32>(max<f32>((rv * cv) / rm, eps1sq));
}

/** One unfactored step of a vector of n floats with its full second moment v. */
export function adafactorVector(
  p: usize, g: usize, v: usize, n: i32,
  rho: f64, w_: f64, eps1_: f64, eps2: f64, dClip: f64, decay_: f64, gscale_: f64,
): void {
  if (n == 0) return;
  const gs = <f32>gscale_, w = <f32>w_, eps1sq = <f32>(eps1_ * eps1_), decay = <f32>decay_;
  const pp = sumSq(p, n);
  lastAlphaNorm = pp;
  const alpha = max(eps2, Math.sqrt(pp) / Math.sqrt(<f64>n)) * rho;
  if (decay != 1) decayAll(p, n, decay);
  let uu: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(g + o) * gs;
    const vv = lerp(load<f32>(v + o), d * d, w);
    store<f32>(v + o, vv);
    const u = <f64>(d / sqrt<f32>(max<f32>(vv, eps1sq)));
    uu += u * u;
  }
  const scale = <f32>(-alpha / max(1.0, Math.sqrt(uu) / (Math.sqrt(<f64>n) * dClip)));
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(g + o) * gs;
    const u = d / sqrt<f32>(max<f32>(load<f32>(v + o), eps1sq));
    store<f32>(p + o, load<f32>(p + o) + scale * u);
  }
}
