import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { boolean, finiteNumber, nonNegative } from '../validate.js';

/** Hyperparameters of SGD (PyTorch `torch.optim.SGD`, camelCase). */
export interface SGDOptions {
  /** learning rate, default 1e-3 */
  lr: number;
  /** momentum factor, default 0 (plain gradient descent) */
  momentum: number;
  /** dampening of the momentum buffer, default 0 */
  dampening: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0), default false */
  nesterov: boolean;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const sgdSpec: MethodSpec<SGDOptions> = {
  name: 'SGD',
  splitFrom: 65536, // 2 threads win from 64K (README, threads)
  torch: { class: 'torch.optim.SGD', state: { momentumBuffer: 'momentum_buffer' }, options: { lr: 'lr', momentum: 'momentum', dampening: 'dampening', weightDecay: 'weight_decay', nesterov: 'nesterov', maximize: 'maximize' }, step: false },
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  rules: {
    lr: nonNegative,
    momentum: nonNegative,
    dampening: finiteNumber,
    weightDecay: nonNegative,
    nesterov: boolean,
    maximize: boolean,
  },
  check: (o) =>
    o.nesterov && (o.momentum <= 0 || o.dampening !== 0)
      ? `nesterov: true requires momentum > 0 and dampening = 0, got momentum ${o.momentum} and dampening ${o.dampening}`
      : undefined,
  buffers: (o) => (o.momentum !== 0 ? ['momentumBuffer'] : []),
  lazy: true,
  run(k, a, o, ctx) {
    const { started } = ctx;
    const gsign = gradScale(o.maximize, ctx);
    if (o.momentum === 0) {
      k.sgd(a.p, a.g, a.n, o.lr, o.weightDecay, gsign);
      return;
    }
    // PyTorch starts the buffer as a copy of the first gradient it sees.
    const first = !started.has('momentumBuffer');
    k.sgdMomentum(
      a.p, a.g, a.state.momentumBuffer!, a.n, o.lr,
      first ? 0 : o.momentum, first ? 1 : 1 - o.dampening,
      o.nesterov ? 1 : 0, o.momentum, o.weightDecay, gsign,
    );
  },
};

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, as PyTorch:
 *
 *     d = (maximize ? -g : g) + weightDecay*p
 *     b = d on the first step, else momentum*b + (1 - dampening)*d     (momentum != 0)
 *     d = nesterov ? d + momentum*b : b                                (momentum != 0)
 *     p = p - lr*d
 *
 * With momentum 0 this is the update of full-batch, stochastic and
 * mini-batch gradient descent alike: they differ only in the gradient fed in.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Param[] | ParamGroupInput<SGDOptions>[], options?: Partial<SGDOptions> & StepOptions) {
    super(sgdSpec, params, options);
  }
}
