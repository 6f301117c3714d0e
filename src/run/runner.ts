/**
 * How one claimed trial runs, whatever runs it: the pool's threads (threads.ts: the built-in trainer or a module
 * objective) or a program in a child process (program.ts). The run loop hands a runner the trial, a sink for its
 * steps (trial-sink.ts) and a stop signal, and stores what it resolves with.
 */
import type {TrialRecord} from '../store/store.js';
import type {ModelShape} from '../train/model.js';
import type {MetricSpec, TrialOutcome} from '../types.js';
import type {CheckpointTask} from './checkpoints.js';
import type {TrialSink} from './trial-sink.js';

/** The sink as the run loop gives it to runners: the contract's TrialSink, and where a built-in model says what it built. */
export interface RunSink extends TrialSink {
	/** The built-in trainer's model is built: where it trains and how big it is, and the checkpoint's epoch when it resumed from one. */
	started(info: {backend: string; trainingPath: string; convAlgorithms?: string[]; paramCount: number; resumedFrom?: number}): void;
	/** A module objective resumed after step `epoch` of its checkpoint, or (undefined) went on without it. */
	resumed(epoch: number | undefined): void;
	/** The trial's state after `epoch` (docs/checkpoints.md), stored after that epoch's step. */
	checkpoint(epoch: number, bytes: Uint8Array): void;
	/** Something the trial survives, one line (a checkpoint it could not resume from). */
	warning(message: string): void;
}

export interface RunControl {
	/** Aborted (its reason a one-line string) when the trial must stop after its current step: the sweep was interrupted or the lease was lost. */
	signal: AbortSignal;
	/** The sweep's timeoutMinutes: past it the runner stops the trial and resolves with `timeout`. */
	timeoutMs?: number;
	/** What the sweep ranks by: a runner reporting steps should carry it. */
	metric: MetricSpec;
	/** A pruner watches the sweep: the sink's verdicts may stop trials. */
	pruned: boolean;
	/** The checkpoint to resume from and the checkpoint policy (the pool's threads), whether to keep the final weights (the built-in trainer). */
	checkpoints?: CheckpointTask;
}

/** How a trial ended, as its runner tells it; the run loop turns it into the stored outcome. */
export interface RunnerResult {
	state: TrialOutcome['state'];
	/** Wall seconds of training (without a final test evaluation). */
	trainSeconds?: number;
	error?: string;
	stopReason?: string;
	/** Program trials: where their output went. */
	logPath?: string;
	/** The built-in trainer with keepBestWeights: the final weights, the epoch they are from and the input shape. */
	weights?: Float32Array[];
	weightsEpoch?: number;
	shape?: ModelShape;
}

export type TrialRunner = (trial: TrialRecord, sink: RunSink, control: RunControl) => Promise<RunnerResult>;
