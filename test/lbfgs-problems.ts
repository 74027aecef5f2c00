// The closures of test/fixtures/lbfgs.json (tools/fixtures/generate_lbfgs.py),
// written again in float32 (every operation rounded with Math.fround), with
// their gradients by hand: what torch's autograd computes for the same loss.
const fr = Math.fround;

export interface ProblemData {
  [name: string]: { shape: number[]; values: number[] };
}

/** loss(params, grads): writes the gradient of each parameter into grads, returns the loss. */
export type Problem = (ps: readonly Float32Array[], gs: readonly Float32Array[]) => number;

function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s = fr(s + xs[i]!);
  return s;
}

export function makeProblem(name: string, data: ProblemData): Problem {
  const get = (k: string) => Float32Array.from(data[k]!.values);
  switch (name) {
    case 'quad_well': {
      // f = 1/2 x'Ax - b'x, g = (A + A')/2 x - b (A symmetric up to rounding; autograd gives 1/2 (A x + A' x))
      const A = get('A');
      const b = get('b');
      const n = b.length;
      return ([x], [g]) => {
        const Ax = new Float32Array(n);
        const Atx = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          let s = 0;
          let u = 0;
          for (let j = 0; j < n; j++) {
            s = fr(s + fr(A[i * n + j]! * x![j]!));
            u = fr(u + fr(A[j * n + i]! * x![j]!));
          }
          Ax[i] = s;
          Atx[i] = u;
        }
        let xAx = 0;
        let bx = 0;
        for (let i = 0; i < n; i++) {
          xAx = fr(xAx + fr(x![i]! * Ax[i]!));
          bx = fr(bx + fr(b[i]! * x![i]!));
          g![i] = fr(fr(fr(0.5 * Ax[i]!) + fr(0.5 * Atx[i]!)) - b[i]!);
        }
        return fr(fr(0.5 * xAx) - bx);
      };
    }
    case 'quad_ill': {
      const a = get('a');
      const b = get('b');
      return ([x], [g]) => {
        const terms = new Float32Array(a.length);
        let bx = 0;
        for (let i = 0; i < a.length; i++) {
          terms[i] = fr(fr(a[i]! * x![i]!) * x![i]!);
          bx = fr(bx + fr(b[i]! * x![i]!));
          g![i] = fr(fr(0.5 * fr(2 * fr(a[i]! * x![i]!))) - b[i]!);
        }
        return fr(fr(0.5 * sum(terms)) - bx);
      };
    }
    case 'rosenbrock':
      return ([x], [g]) => {
        const n = x!.length;
        const terms = new Float32Array(n - 1);
        g!.fill(0);
        for (let i = 0; i < n - 1; i++) {
          const u = fr(x![i + 1]! - fr(x![i]! * x![i]!));
          const v = fr(1 - x![i]!);
          terms[i] = fr(fr(100 * fr(u * u)) + fr(v * v));
          const du = fr(200 * u);
          g![i + 1] = fr(g![i + 1]! + du);
          g![i] = fr(g![i]! + fr(fr(-2 * v) - fr(fr(2 * x![i]!) * du)));
        }
        return sum(terms);
      };
    case 'lsq': {
      const A = get('A');
      const y = get('y');
      const m = y.length;
      const n = A.length / m;
      return ([x], [g]) => {
        const r = new Float32Array(m);
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s = fr(s + fr(A[i * n + j]! * x![j]!));
          r[i] = fr(s - y[i]!);
        }
        const rr = new Float32Array(m);
        for (let i = 0; i < m; i++) rr[i] = fr(r[i]! * r[i]!);
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s = fr(s + fr(A[i * n + j]! * fr(r[i]! / m)));
          g![j] = s;
        }
        return fr(fr(0.5 * sum(rr)) / m);
      };
    }
    case 'logistic': {
      const X = get('X');
      const y = get('y');
      const m = y.length;
      const n = X.length / m;
      return ([w, b], [gw, gb]) => {
        const terms = new Float32Array(m);
        const dz = new Float32Array(m);
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s = fr(s + fr(X[i * n + j]! * w![j]!));
          const z = fr(s + b![0]!);
          const u = fr(-y[i]! * z);
          // softplus(u) = log(1 + e^u) (torch: threshold 20), d/du = sigmoid(u)
          terms[i] = u > 20 ? u : fr(Math.log1p(Math.exp(u)));
          const sig = fr(1 / (1 + Math.exp(-u)));
          dz[i] = fr(fr(fr(sig / m)) * -y[i]!);
        }
        let ww = 0;
        for (let j = 0; j < n; j++) ww = fr(ww + fr(w![j]! * w![j]!));
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s = fr(s + fr(X[i * n + j]! * dz[i]!));
          gw![j] = fr(s + fr(fr(0.5e-3 * 2) * w![j]!));
        }
        gb![0] = sum(dz);
        return fr(fr(sum(terms) / m) + fr(0.5e-3 * ww));
      };
    }
    default:
      throw new Error(`unknown problem ${name}`);
  }
}
