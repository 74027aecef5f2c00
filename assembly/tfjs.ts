// TensorFlow.js 4.22 `tf.train` update rules, one fused pass each, operation
// for operation in tfjs-core's order (src/optimizers/*.ts): every TF.js op
// rounds to float32, and so does every operation here, so on the cpu backend
// the results are the same bits. No flushing of subnormals (TF.js has none),
// no weight decay, no gradient scale: the adapter (src/tfjs/) passes scalars
// already rounded to float32 as TF.js does (`-lr`, `1 - beta1`, ...).
// Each kernel: an f32x4 loop, then a scalar tail.

/** p = c*g + p, c = -lr. */
export function tfSgd(p: usize, g: usize, n: i32, c: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      v128.store(p + o, f32x4.add(f32x4.mul(vc, v128.load(g + o)), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, c * load<f32>(g + o) + load<f32>(p + o));
  }
}

/** acc = m*acc + g; p = c*acc + p, or with Nesterov p = c*(g + acc*m) + p; c = -lr. */
export function tfMomentum(p: usize, g: usize, acc: usize, n: i32, c: f32, m: f32, nesterov: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c), vm = f32x4.splat(m);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const a = f32x4.add(f32x4.mul(vm, v128.load(acc + o)), gv);
      v128.store(acc + o, a);
      const d = nesterov ? f32x4.add(gv, f32x4.mul(a, vm)) : a;
      v128.store(p + o, f32x4.add(f32x4.mul(vc, d), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const a = m * load<f32>(acc + o) + gv;
    store<f32>(acc + o, a);
    const d = nesterov ? gv + a * m : a;
    store<f32>(p + o, c * d + load<f32>(p + o));
  }
}

/** acc = acc + g*g; p = (g / sqrt(acc + eps)) * c + p; c = -lr. */
export function tfAdagrad(p: usize, g: usize, acc: usize, n: i32, c: f32, eps: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const a = f32x4.add(v128.load(acc + o), f32x4.mul(gv, gv));
      v128.store(acc + o, a);
      const u = f32x4.div(gv, f32x4.sqrt(f32x4.add(a, ve)));
      v128.store(p + o, f32x4.add(f32x4.mul(u, vc), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const a = load<f32>(acc + o) + gv * gv;
    store<f32>(acc + o, a);
    store<f32>(p + o, (gv / sqrt<f32>(a + eps)) * c + load<f32>(p + o));
  }
}

/**
 * u = (sqrt(accU + eps) / sqrt(accG + eps)) * g   (the previous accumulators)
 * accG = accG*rho + (g*g)*omr; accU = accU*rho + (u*u)*omr; p = u*c + p.
 */
export function tfAdadelta(p: usize, g: usize, accG: usize, accU: usize, n: i32, c: f32, rho: f32, omr: f32, eps: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c), vr = f32x4.splat(rho), vo = f32x4.splat(omr), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o), ag = v128.load(accG + o), au = v128.load(accU + o);
      const u = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(au, ve)), f32x4.sqrt(f32x4.add(ag, ve))), gv);
      v128.store(accG + o, f32x4.add(f32x4.mul(ag, vr), f32x4.mul(f32x4.mul(gv, gv), vo)));
      v128.store(accU + o, f32x4.add(f32x4.mul(au, vr), f32x4.mul(f32x4.mul(u, u), vo)));
      v128.store(p + o, f32x4.add(f32x4.mul(u, vc), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o), ag = load<f32>(accG + o), au = load<f32>(accU + o);
    const u = (sqrt<f32>(au + eps) / sqrt<f32>(ag + eps)) * gv;
    store<f32>(accG + o, ag * rho + (gv * gv) * omr);
    store<f32>(accU + o, au * rho + (u * u) * omr);
    store<f32>(p + o, u * c + load<f32>(p + o));
  }
}

/**
 * m = m*b1 + g*omb1; v = v*b2 + (g*g)*omb2;
 * p = ((m / bc1) / (sqrt(v / bc2) + eps)) * c + p, bc = 1 - accBeta (running float32 products); c = -lr.
 */
export function tfAdam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  c: f32, bc1: f32, bc2: f32, b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c), vbc1 = f32x4.splat(bc1), vbc2 = f32x4.splat(bc2), vb1 = f32x4.splat(b1), vo1 = f32x4.splat(omb1);
    const vb2 = f32x4.splat(b2), vo2 = f32x4.splat(omb2), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const mv = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vo1));
      const vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gv, gv), vo2));
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      const u = f32x4.div(f32x4.div(mv, vbc1), f32x4.add(f32x4.sqrt(f32x4.div(vv, vbc2)), ve));
      v128.store(p + o, f32x4.add(f32x4.mul(u, vc), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const mv = load<f32>(m + o) * b1 + gv * omb1;
    const vv = load<f32>(v + o) * b2 + (gv * gv) * omb2;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(p + o, ((mv / bc1) / (sqrt<f32>(vv / bc2) + eps)) * c + load<f32>(p + o));
  }
}

/**
 * m = m*b1 + g*omb1; u = max(u*b2, |g|); p = s * (m / (u + eps)) + p,
 * s = (-lr / (iteration*decay + 1)) / (1 - accBeta1), rounded as TF.js rounds it.
 */
export function tfAdamax(p: usize, g: usize, m: usize, u: usize, n: i32, s: f32, b1: f32, omb1: f32, b2: f32, eps: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s), vb1 = f32x4.splat(b1), vo1 = f32x4.splat(omb1), vb2 = f32x4.splat(b2), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const mv = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vo1));
      const uv = f32x4.max(f32x4.mul(v128.load(u + o), vb2), f32x4.abs(gv));
      v128.store(m + o, mv);
      v128.store(u + o, uv);
      v128.store(p + o, f32x4.add(f32x4.mul(vs, f32x4.div(mv, f32x4.add(uv, ve))), v128.load(p + o)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const mv = load<f32>(m + o) * b1 + gv * omb1;
    const uv = max<f32>(load<f32>(u + o) * b2, abs<f32>(gv));
    store<f32>(m + o, mv);
    store<f32>(u + o, uv);
    store<f32>(p + o, s * (mv / (uv + eps)) + load<f32>(p + o));
  }
}

/** ms = ms*decay + (g*g)*omd; mom = mom*mu + (g*lr) / sqrt(ms + eps); p = p - mom. */
export function tfRmsprop(p: usize, g: usize, ms: usize, mom: usize, n: i32, lr: f32, decay: f32, omd: f32, mu: f32, eps: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lr), vd = f32x4.splat(decay), vo = f32x4.splat(omd), vmu = f32x4.splat(mu), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const s = f32x4.add(f32x4.mul(v128.load(ms + o), vd), f32x4.mul(f32x4.mul(gv, gv), vo));
      const a = f32x4.add(f32x4.mul(v128.load(mom + o), vmu), f32x4.div(f32x4.mul(gv, vl), f32x4.sqrt(f32x4.add(s, ve))));
      v128.store(ms + o, s);
      v128.store(mom + o, a);
      v128.store(p + o, f32x4.sub(v128.load(p + o), a));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const s = load<f32>(ms + o) * decay + (gv * gv) * omd;
    const a = load<f32>(mom + o) * mu + (gv * lr) / sqrt<f32>(s + eps);
    store<f32>(ms + o, s);
    store<f32>(mom + o, a);
    store<f32>(p + o, load<f32>(p + o) - a);
  }
}

/**
 * Centered: ms as above; mg = mg*decay + g*omd;
 * mom = mom*mu + (g*lr) / sqrt(ms - (mg*mg + eps)); p = p - mom.
 */
export function tfRmspropCentered(
  p: usize, g: usize, ms: usize, mg: usize, mom: usize, n: i32, lr: f32, decay: f32, omd: f32, mu: f32, eps: f32,
): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(lr), vd = f32x4.splat(decay), vo = f32x4.splat(omd), vmu = f32x4.splat(mu), ve = f32x4.splat(eps);
    const end = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end; o += 16) {
      const gv = v128.load(g + o);
      const s = f32x4.add(f32x4.mul(v128.load(ms + o), vd), f32x4.mul(f32x4.mul(gv, gv), vo));
      const gm = f32x4.add(f32x4.mul(v128.load(mg + o), vd), f32x4.mul(gv, vo));
      const den = f32x4.sqrt(f32x4.sub(s, f32x4.add(f32x4.mul(gm, gm), ve)));
      const a = f32x4.add(f32x4.mul(v128.load(mom + o), vmu), f32x4.div(f32x4.mul(gv, vl), den));
      v128.store(ms + o, s);
      v128.store(mg + o, gm);
      v128.store(mom + o, a);
      v128.store(p + o, f32x4.sub(v128.load(p + o), a));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o);
    const s = load<f32>(ms + o) * decay + (gv * gv) * omd;
    const gm = load<f32>(mg + o) * decay + gv * omd;
    const a = load<f32>(mom + o) * mu + (gv * lr) / sqrt<f32>(s - (gm * gm + eps));
    store<f32>(ms + o, s);
    store<f32>(mg + o, gm);
    store<f32>(mom + o, a);
    store<f32>(p + o, load<f32>(p + o) - a);
  }
}
