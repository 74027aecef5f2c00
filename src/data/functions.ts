// Two-dimensional test functions whose optimization trajectories can be drawn.

/** A function of (x, y) with its gradient, a starting point and a viewing window. */
export interface TestFunction {
  readonly name: string;
  /** the formula, in plain text */
  readonly formula: string;
  value(x: number, y: number): number;
  /** writes (df/dx, df/dy) into out[0], out[1] */
  gradient(x: number, y: number, out: { [i: number]: number }): void;
  /** where trajectories start */
  readonly start: readonly [number, number];
  /** the global minima */
  readonly minima: readonly (readonly [number, number])[];
  /** the value at the minima */
  readonly minValue: number;
  /** the window to draw */
  readonly domain: { readonly x: readonly [number, number]; readonly y: readonly [number, number] };
}

/** Rosenbrock's banana valley: f = (1 - x)^2 + 100 (y - x^2)^2; minimum 0 at (1, 1). */
export const rosenbrock: TestFunction = Object.freeze({
  name: 'rosenbrock',
  formula: '(1 - x)^2 + 100 (y - x^2)^2',
  value: (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient(x: number, y: number, out: { [i: number]: number }) {
    const r = y - x * x;
    out[0] = -2 * (1 - x) - 400 * x * r;
    out[1] = 200 * r;
  },
  start: [-1.5, 2] as const,
  minima: [[1, 1] as const],
  minValue: 0,
  domain: { x: [-2, 2] as const, y: [-1, 3] as const },
});

/**
 * Beale's function: f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2;
 * minimum 0 at (3, 0.5), with flat plateaus and steep walls.
 */
export const beale: TestFunction = Object.freeze({
  name: 'beale',
  formula: '(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2',
  value(x: number, y: number) {
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2;
  },
  gradient(x: number, y: number, out: { [i: number]: number }) {
    const t1 = 1.5 - x + x * y;
    const t2 = 2.25 - x + x * y * y;
    const t3 = 2.625 - x + x * y * y * y;
    out[0] = 2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1);
    out[1] = 2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y * y;
  },
  start: [1, 1.5] as const,
  minima: [[3, 0.5] as const],
  minValue: 0,
  domain: { x: [-1, 4] as const, y: [-1.5, 2] as const },
});

/**
 * A saddle between two valleys: f = x^2 - y^2 + y^4/4; a saddle point at the
 * origin, minima -1 at (0, +-sqrt 2). Started next to the ridge (y = 1e-3),
 * plain gradient descent creeps off it; methods that rescale the gradient
 * escape fast.
 */
export const saddle: TestFunction = Object.freeze({
  name: 'saddle',
  formula: 'x^2 - y^2 + y^4/4',
  value: (x: number, y: number) => x * x - y * y + (y * y * y * y) / 4,
  gradient(x: number, y: number, out: { [i: number]: number }) {
    out[0] = 2 * x;
    out[1] = -2 * y + y * y * y;
  },
  start: [1.5, 1e-3] as const,
  minima: [[0, Math.SQRT2] as const, [0, -Math.SQRT2] as const],
  minValue: -1,
  domain: { x: [-2, 2] as const, y: [-2, 2] as const },
});

/** The 2-D test functions, by name. */
export const testFunctions: Readonly<Record<'rosenbrock' | 'beale' | 'saddle', TestFunction>> = Object.freeze({ rosenbrock, beale, saddle });
