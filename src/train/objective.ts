/**
 * The objective API: what a user's objective function gets for one trial (`import type {Trial} from 'sweeplab'`),
 * and the thread-side Trial that reports its steps to the main thread. Every trial that runs in the pool's
 * threads runs as an objective behind this interface: a module's default export, and the built-in MLP/CNN
 * trainer alike (thread.ts).
 */
import type {MessagePort} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import type {StepRecord, TrialParams} from '../types.js';

/** One trial as an objective sees it. */
export interface Trial<P extends TrialParams = TrialParams> {
	/** The trial's id in the store. */
	readonly id: number;
	/** Its parameters: the sweep's `base` with the swept values. */
	readonly params: P;
	/** The seed of its repeat: seed every random generator from it and a rerun trains the same. */
	readonly seed: number;
	/** The sweep's dataset (when the sweep file names one), decoded once and shared between the pool's threads. */
	readonly data?: SplitData;
	/**
	 * Record one step (an epoch) with any numeric metrics by name; resolves once the pruner has had its say.
	 * Steps are numbered 1, 2, ... in increasing order. NaN or Infinity in the sweep's metric ends the trial as
	 * diverged.
	 * @throws TrialPruned when the trial must stop: a pruner stopped it, its metric diverged, the sweep was
	 * interrupted or it ran out of time. Let it propagate (or return): the trial ends accordingly.
	 * @throws TypeError for a step number that does not increase or a metric that is not a number.
	 */
	report(step: number, metrics: Record<string, number>): Promise<void>;
	/** Whether the trial has been told to stop (the last report was pruned, or the sweep is stopping). */
	shouldPrune(): boolean;
}

/** An objective: a module's default export. A returned number is the trial's value of the sweep's metric. */
export type Objective<P extends TrialParams = TrialParams> = (trial: Trial<P>) => void | number | Promise<void | number>;

/** Thrown by Trial.report when the trial must stop; the objective lets it propagate. */
export class TrialPruned extends Error {
	constructor(readonly reason: string) {
		super(`trial stopped: ${reason}`);
		this.name = 'TrialPruned';
	}
}

/** Thread -> main thread, over the task's port. */
export type TrialMessage =
	| {type: 'started'; backend: string; trainingPath: string; paramCount: number; resumedFrom?: number}
	| {type: 'step'; report: StepRecord}
	| {type: 'final'; metrics: Record<string, number>}
	/** The state after step `epoch`, sent after that step (docs/checkpoints.md); its buffer is transferred. `seconds`: what capturing it cost. */
	| {type: 'checkpoint'; epoch: number; bytes: Uint8Array; seconds: number}
	/** Something the trial survives (a checkpoint that could not be resumed from): one line. */
	| {type: 'warning'; message: string};

/**
 * Main thread -> thread. `stop`: stop after the current step as `interrupted` (the run loop turns it into a
 * timeout where that was the reason). `verdict`: the answer to the step just sent: a reason ends the trial.
 */
export type ControlMessage = {type: 'stop'; reason: string} | {type: 'verdict'; prune?: string; diverged?: boolean};

/** How the objective ended, as far as the thread can tell. */
export type StopKind = 'pruned' | 'diverged' | 'interrupted';

/**
 * The Trial of one task in a pool thread. `step()` is the runners' form of report (it answers with the reason to
 * stop instead of throwing); `report()` is the objective's.
 */
export class ThreadTrial<P extends TrialParams = TrialParams> implements Trial<P> {
	stop: {kind: StopKind; reason: string} | undefined;
	/** Steps reported and which of them carried the metric. */
	steps = 0;
	reportedMetric = false;
	private last = 0;
	private lastAt = performance.now();
	private onVerdict: ((message: Extract<ControlMessage, {type: 'verdict'}> | undefined) => void) | undefined;

	constructor(
		readonly id: number,
		readonly params: P,
		readonly seed: number,
		readonly data: SplitData | undefined,
		private readonly port: MessagePort,
		private readonly options: {metric: string; awaitVerdict: boolean},
	) {
		port.on('message', (message: ControlMessage) => {
			if (message.type === 'stop') {
				this.stop ??= {kind: 'interrupted', reason: message.reason};
				// A stop also releases a wait for a verdict, so an interrupted run never hangs on a pruner.
				this.onVerdict?.(undefined);
			} else {
				this.onVerdict?.(message);
			}
		});
	}

	/** Post a message of the protocol (started, final, checkpoint, warning); `transfer` moves buffers instead of copying them. */
	post(message: TrialMessage, transfer: ArrayBuffer[] = []): void {
		this.port.postMessage(message, transfer);
	}

	/** Send one step; resolves with why the trial must stop now, if it must. */
	async step(report: StepRecord): Promise<string | undefined> {
		this.steps++;
		this.reportedMetric ||= this.options.metric in report.metrics;
		this.post({type: 'step', report});
		// Divergence is decided here, so that without a pruner a step costs no round trip to the main thread.
		const value = report.metrics[this.options.metric];
		if (value !== undefined && !Number.isFinite(value)) {
			this.stop ??= {kind: 'diverged', reason: `${this.options.metric} became ${value} at step ${report.step}`};
		}

		if (this.options.awaitVerdict && !this.stop) {
			const verdict = await new Promise<Extract<ControlMessage, {type: 'verdict'}> | undefined>(resolve => {
				this.onVerdict = message => {
					this.onVerdict = undefined;
					resolve(message);
				};
			});
			if (verdict?.prune) {
				this.stop ??= {kind: verdict.diverged ? 'diverged' : 'pruned', reason: verdict.prune};
			}
		}

		return this.stop?.reason;
	}

	async report(step: number, metrics: Record<string, number>): Promise<void> {
		if (!Number.isInteger(step) || step <= this.last) {
			throw new TypeError(`trial.report(${String(step)}, ...): steps are whole numbers from 1, increasing (the last was ${this.last})`);
		}

		for (const [name, value] of Object.entries(metrics ?? {})) {
			if (typeof value !== 'number') {
				throw new TypeError(`trial.report(${step}, ...): metric "${name}" is ${typeof value}, expected a number`);
			}
		}

		const now = performance.now();
		this.last = step;
		const reason = await this.step({step, metrics: {...metrics}, seconds: (now - this.lastAt) / 1000});
		this.lastAt = performance.now();
		if (reason) {
			throw new TrialPruned(reason);
		}
	}

	shouldPrune(): boolean {
		return this.stop !== undefined;
	}
}
