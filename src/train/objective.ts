/**
 * The objective API: what a user's objective function gets for one trial (`import type {Trial} from 'sweeplab'`),
 * and the thread-side Trial that reports its steps to the main thread. Every trial that runs in the pool's
 * threads runs as an objective behind this interface: a module's default export, and the built-in MLP/CNN
 * trainer alike (thread.ts).
 */
import type {MessagePort} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import type {CheckpointPolicy, StepRecord, TrialParams} from '../types.js';
import {CheckpointError, checkpointsDue} from './checkpoint.js';
import {type CheckpointState, decodeModuleState, encodeModuleState, moduleIdentity} from './module-state.js';

export type {CheckpointState} from './module-state.js';

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
	 * interrupted or it ran out of time. Let it propagate (or return): the trial ends accordingly. (Interrupted, an
	 * objective that has called checkpoint() gets it from the checkpoint() after this report instead, which stores
	 * this step's state first.)
	 * @throws TypeError for a step number that does not increase or a metric that is not a number.
	 */
	report(step: number, metrics: Record<string, number>): Promise<void>;
	/** Whether the trial has been told to stop (the last report was pruned, or the sweep is stopping). */
	shouldPrune(): boolean;
	/**
	 * Offer the training state after the last reported step as the trial's checkpoint (docs/checkpoints.md): a tree
	 * of JSON values, bigints, typed arrays, Buffers and ArrayBuffers, e.g. `{weights, moments, step, rng}`. It is
	 * stored when the sweep's `checkpoint:` policy says one is due (and always when the trial is being stopped by
	 * Ctrl-C or SIGTERM), replacing the trial's previous one; the values are copied, so they may change at once.
	 * Call it right after `report`.
	 * @returns whether this state was taken (false: not due, or `checkpoint: false`).
	 * @throws TrialPruned after storing the state when Ctrl-C or SIGTERM stopped the trial at the report before it
	 * (report lets an objective that checkpoints get this far). TypeError before the first report, or naming the
	 * first value a checkpoint cannot hold (a Map, a class instance such as a tf.Tensor, a function, a cycle).
	 */
	checkpoint(state: unknown): boolean;
	/**
	 * The state of the trial's newest checkpoint when this attempt resumes one (after kill -9, Ctrl-C, a lost
	 * lease), exactly as it was offered; else undefined. Call it before the first report: the trial then continues
	 * after the checkpoint's step, whose number is `trial.resumedStep`. A trial that reports without calling it
	 * starts over from step 1 (its checkpoint and the steps after it are dropped).
	 */
	restore<S = CheckpointState>(): S | undefined;
	/** The step the trial resumed after (0: it starts from scratch); set by restore(). */
	readonly resumedStep: number;
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
	| {type: 'started'; backend: string; trainingPath: string; convAlgorithms?: string[]; paramCount: number; resumedFrom?: number}
	| {type: 'step'; report: StepRecord}
	| {type: 'final'; metrics: Record<string, number>}
	/** The state after step `epoch`, sent after that step (docs/checkpoints.md); its buffer is transferred. `seconds`: what capturing it cost. */
	| {type: 'checkpoint'; epoch: number; bytes: Uint8Array; seconds: number}
	/** Something the trial survives (a checkpoint that could not be resumed from): one line. */
	| {type: 'warning'; message: string}
	/** A module objective resumed after step `epoch` of its checkpoint, or (no epoch) did not: drop the checkpoint and the steps kept with it. */
	| {type: 'resumed'; epoch?: number};

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
	resumedStep = 0;
	private last = 0;
	private lastAt = performance.now();
	private onVerdict: ((message: Extract<ControlMessage, {type: 'verdict'}> | undefined) => void) | undefined;
	/** The checkpoint this attempt was given, until the objective restores it or goes on without it. */
	private resume: Uint8Array | undefined;
	private restored: Uint8Array | undefined;
	private readonly due: (step: number) => boolean;
	private checkpointed = 0;
	/** The objective has offered a checkpoint (it is one that checkpoints). */
	private offered = false;
	/** Why the trial stops, held back from report() until the checkpoint() after it (see report). */
	private deferredStop: string | undefined;
	private readonly startedAt = performance.now();
	/** Seconds of training before this attempt: those up to the checkpoint it resumed from. */
	private secondsBefore = 0;

	constructor(
		readonly id: number,
		readonly params: P,
		readonly seed: number,
		readonly data: SplitData | undefined,
		private readonly port: MessagePort,
		private readonly options: {metric: string; awaitVerdict: boolean; resume?: Uint8Array; checkpoint?: CheckpointPolicy},
	) {
		this.resume = options.resume;
		this.due = checkpointsDue(options.checkpoint);
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
		this.settleResume();
		this.throwDeferredStop();
		if (!Number.isInteger(step) || step <= this.last) {
			const resumed = this.resumedStep > 0 ? `; the trial resumed after step ${this.resumedStep}` : '';
			throw new TypeError(`trial.report(${String(step)}, ...): steps are whole numbers from 1, increasing (the last was ${this.last}${resumed})`);
		}

		for (const [name, value] of Object.entries(metrics ?? {})) {
			if (typeof value !== 'number') {
				throw new TypeError(`trial.report(${step}, ...): metric "${name}" is ${typeof value}, expected a number`);
			}
		}

		const now = performance.now();
		this.last = step;
		// Let the port deliver a stop (Ctrl-C, a lost lease, the time limit) sent while the step was computed: an
		// objective that awaits nothing else would otherwise train to its end before hearing of it.
		await new Promise(resolve => {
			setImmediate(resolve);
		});
		const reason = await this.step({step, metrics: {...metrics}, seconds: (now - this.lastAt) / 1000});
		this.lastAt = performance.now();
		if (reason && this.stop?.kind === 'interrupted' && this.options.checkpoint && this.offered && this.checkpointed < step) {
			// Stopped by Ctrl-C or SIGTERM: an objective that checkpoints gets to offer this step's state first, as the
			// built-in trainer checkpoints its last epoch, so a resume retrains nothing. That checkpoint() throws.
			this.deferredStop = reason;
		} else if (reason) {
			throw new TrialPruned(reason);
		}
	}

	private throwDeferredStop(): void {
		if (this.deferredStop !== undefined) {
			const reason = this.deferredStop;
			this.deferredStop = undefined;
			throw new TrialPruned(reason);
		}
	}

	shouldPrune(): boolean {
		return this.stop !== undefined;
	}

	checkpoint(state: unknown): boolean {
		this.settleResume();
		if (this.last === 0) {
			throw new TypeError('trial.checkpoint(state): report a step first; a checkpoint is the state after the last reported step');
		}

		this.offered = true;
		const stopping = this.stop?.kind === 'interrupted';
		let taken = false;
		if (this.options.checkpoint && this.checkpointed < this.last && (this.due(this.last) || stopping)) {
			const started = performance.now();
			const bytes = encodeModuleState(state, {epoch: this.last, identity: moduleIdentity(this.params, this.seed), trainSeconds: this.trainSeconds()});
			this.checkpointed = this.last;
			this.post({type: 'checkpoint', epoch: this.last, bytes, seconds: (performance.now() - started) / 1000}, [bytes.buffer as ArrayBuffer]);
			taken = true;
		}

		this.throwDeferredStop();
		return taken;
	}

	restore<S = CheckpointState>(): S | undefined {
		const identity = moduleIdentity(this.params, this.seed);
		if (this.resume) {
			const bytes = this.resume;
			this.resume = undefined;
			try {
				const {epoch, trainSeconds, state} = decodeModuleState(bytes, identity);
				this.restored = bytes;
				this.secondsBefore = trainSeconds;
				this.resumedStep = epoch;
				this.last = epoch;
				this.steps = epoch;
				this.checkpointed = epoch;
				this.post({type: 'resumed', epoch});
				return state as S;
			} catch (error) {
				if (!(error instanceof CheckpointError)) {
					throw error;
				}

				this.post({type: 'warning', message: `checkpoint ignored, training from step 1: ${error.message}`});
				this.post({type: 'resumed'});
			}
		}

		// Decoded afresh at each later call: the objective owns what it got the first time and may have changed it.
		return this.restored && decodeModuleState(this.restored, identity).state as S | undefined;
	}

	/** Wall seconds of the objective, counting those before the checkpoint this attempt resumed from. */
	trainSeconds(): number {
		return this.secondsBefore + ((performance.now() - this.startedAt) / 1000);
	}

	/**
	 * The objective reports, checkpoints or ends without having restored the checkpoint it was given: it started
	 * over, so the checkpoint and the steps kept with it go.
	 */
	settleResume(): void {
		if (this.resume) {
			const {length} = this.resume;
			this.resume = undefined;
			this.post({type: 'warning', message: `checkpoint ignored, training from step 1: the objective did not call trial.restore() (its ${length}-byte checkpoint is dropped)`});
			this.post({type: 'resumed'});
		}
	}
}
