/**
 * The contract between whatever runs a trial (the built-in trainer, a module objective in a pool
 * thread, a program child process) and the run loop that commits its results: runners report steps
 * into a TrialSink, the run loop writes each one to the store in order and answers with the pruner's
 * verdict.
 */

/** One reported step of a running trial, whatever runs it (built-in trainer, module objective, program). */
export interface StepReport {
	/** 1-based epoch or step number, strictly increasing within a trial. */
	step: number;
	/** Any numeric metrics by name (NaN / Infinity allowed: they mark divergence when it is the sweep's metric). */
	metrics: Record<string, number>;
	/** Wall seconds this step took, when the runner knows it (programs: time since the previous report). */
	seconds?: number;
}

/** Where a running trial's results go: the run loop commits them to the store in order and asks the pruner. */
export interface TrialSink {
	/** Commit one step; resolves with the pruner's verdict: a one-line reason when the trial must stop, else undefined. */
	step(report: StepReport): Promise<string | undefined>;
	/** Final metrics reported without a step (e.g. test accuracy); may be called once, after the last step. */
	final(metrics: Record<string, number>): Promise<void>;
}
