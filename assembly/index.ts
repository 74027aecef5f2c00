// Entry point of the kernel module: one export per kernel. Every kernel takes
// byte addresses into the (imported) linear memory and an element count, and
// reads top to bottom: splat constants, an f32x4 main loop, a scalar tail.
// The scalar build (no SIMD) compiles only the scalar loops.
export { allFinite } from './finite';
export { setFlushThreshold } from './common';
export { sgd, sgdMomentum } from './sgd';
export { momentum } from './momentum';
export { adagrad } from './adagrad';
export { rmsprop, rmspropMomentum, rmspropCentered, rmspropCenteredMomentum } from './rmsprop';
export { adam, adamAmsgrad } from './adam';
export { sumSquares, sumAbs, maxAbs } from './norm';
export { scale, clampValue } from './clip';
export { adadelta } from './adadelta';
export { adamax } from './adamax';
export { nadam } from './nadam';
export { radam, radamUnrectified } from './radam';
export { rprop, rpropFirst } from './rprop';
export { asgd, asgdAverage } from './asgd';
export { lion } from './lion';
export { adam8bit, lion8bit } from './eightbit';
export { lambMoments, lambApply, lambParamSumSq, lambUpdateSumSq } from './lamb';
export { tfSgd, tfMomentum, tfAdagrad, tfAdadelta, tfAdam, tfAdamax, tfRmsprop, tfRmspropCentered } from './tfjs';
export { gemm, gemmWorkBytes } from './gemm';
export { muonMomentum, muonApply, muonCopy } from './muon';
export { dot, axpy, mulInto, subInto } from './lbfgs';
export { adafactorRows, adafactorCols, adafactorRowsU, adafactorSum, adafactorMove, adafactorVecBlocks, adafactorVecMove } from './adafactor';
export { swaAverage, emaAverage } from './averaging';
export { scheduleFreeAdamW, scheduleFreeSgd, scheduleFreeInterp } from './schedulefree';
