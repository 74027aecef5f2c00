// What a step on the pool knows about its own writes, so that a failed step
// leaves parameters and state as they were without copying them first.
//
// A worker can fail only in its own JavaScript, before it checks in to a
// writing call (the barrier in ./pool.ts runSplit): then that call wrote
// nothing. Once every worker has checked in for one writing call of a step,
// each holds the step's memory and its instance of the kernels; its later
// calls in the same step look up the same instance and a kernel by index,
// which fails only through a bug (as a kernel failing after GO does). So a
// step is all or nothing without a snapshot when its workers check in before
// its first write of parameters or state: at its first writing pool call, or
// at a check-in pseudo-call (KERNEL_PREPARE) the step pipeline sends first
// when the step's first write happens on the calling thread (Muon's momentum,
// a small group before a large one). A call that would go to the pool after a
// write with no check-in (`dirty` and not `checked`) and not `covered` (by a
// snapshot, or undoOnFailure: false) runs on the calling thread instead, where
// it cannot fail (the same bits: every split is exact). `late` counts those
// calls: the step pipeline (src/step.ts) learns from it to send the check-in
// before the optimizer's next steps.

/** The guard of one optimizer's pool kernels (one step at a time: step() is synchronous). */
export class StepGuard {
  /** a step is running */
  active = false;
  /** this step has written parameters or state */
  dirty = false;
  /** this step's workers have checked in (a writing pool call passed its barrier, or the check-in pseudo-call) */
  checked = false;
  /** a failure after the first write is taken care of (a snapshot, or undoOnFailure: false) */
  covered = false;
  /** calls that would have gone to the pool after a write with no check-in (run on the calling thread when not covered) */
  late = 0;
  private p0 = 0;
  private p1 = 0;
  private s0 = 0;
  private s1 = 0;

  /** Opens the guard for a step: parameters in bytes [p0, p1), state in [s0, s1). */
  begin(p0: number, p1: number, s0: number, s1: number, covered: boolean): void {
    this.p0 = p0;
    this.p1 = p1;
    this.s0 = s0;
    this.s1 = s1;
    this.covered = covered;
    this.dirty = false;
    this.checked = false;
    this.late = 0;
    this.active = true;
  }

  end(): void {
    this.active = false;
  }

  /** Whether bytes [at, at + bytes) overlap parameters or state (outside a step: assume so). */
  touches(at: number, bytes: number): boolean {
    if (!this.active) return true;
    return bytes > 0 && ((at < this.p1 && at + bytes > this.p0) || (at < this.s1 && at + bytes > this.s0));
  }

  /** Whether a call that could run on the pool may go there now (counts the calls that may not go or only go under cover). */
  mayPool(): boolean {
    if (!this.active || !this.dirty || this.checked) return true;
    this.late++;
    return this.covered;
  }

  /** After a call that wrote parameters or state; `pooled`: it ran on the pool, behind the barrier, so the workers have checked in. */
  wrote(pooled = false): void {
    if (!this.active) return;
    this.dirty = true;
    if (pooled) this.checked = true;
  }

  /** The step's workers have checked in (the check-in pseudo-call passed). */
  checkedIn(): void {
    if (this.active) this.checked = true;
  }
}
