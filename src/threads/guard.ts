// What a step on the pool knows about its own writes, so that a failed step
// leaves parameters and state as they were without copying them first.
//
// A worker can fail only before it checks in to a writing call (the barrier in
// ./pool.ts runSplit): then that call wrote nothing. So a step is all or
// nothing without a snapshot as long as no call reaches the pool after the
// step has written parameters or state (a pool call after that could fail
// with the earlier writes done). The step pipeline (src/step.ts) opens a guard
// per step; the pool's kernels (./split.ts) mark it dirty after any call that
// wrote parameters or state, and a call that would go to the pool while the
// guard is dirty and not `covered` (by a snapshot, or undoOnFailure: false)
// runs on the calling thread instead, where it cannot fail (the same bits:
// every split is exact). `late` counts those calls: the step pipeline learns
// from it that this optimizer's steps write in more than one pool call
// (several groups, Lamb's two passes, Muon's momentum then products) and
// snapshots from the next step on.

/** The guard of one optimizer's pool kernels (one step at a time: step() is synchronous). */
export class StepGuard {
  /** a step is running */
  active = false;
  /** this step has written parameters or state */
  dirty = false;
  /** a failure after the first write is taken care of (a snapshot, or undoOnFailure: false) */
  covered = false;
  /** calls that would have gone to the pool while dirty (run on the calling thread when not covered) */
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
    if (!this.active || !this.dirty) return true;
    this.late++;
    return this.covered;
  }

  /** Marks the step dirty (after a call that wrote parameters or state). */
  wrote(): void {
    if (this.active) this.dirty = true;
  }
}
