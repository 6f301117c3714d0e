/**
 * The Piscina thread (resolved by pool.ts): runs one trial per task as an objective behind the Trial interface
 * (objective.ts): a user's module objective, or the built-in MLP/CNN trainer. Steps stream over a transferred
 * MessagePort. tfjs and its backend load once per worker thread (module state), so a warm worker starts a trial
 * without reloading anything; the pixel arrays arrive as views of SharedArrayBuffers (no copy).
 */
import {type MessagePort, workerData} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import {errorLine} from '../errors.js';
import {builtinConfig, type CheckpointPolicy, epochStep, type TrialConfig, type TrialParams} from '../types.js';
import {type BackendChoice, loadBackend} from './backend.js';
import {measureCapability, type PathCapability} from './choose.js';
import {trainTrial} from './loop.js';
import type {ModelShape} from './model.js';
import {type Objective, ThreadTrial, TrialPruned} from './objective.js';

/** What createTrainPool hands every thread at start. */
export interface WorkerData {
	/** Start loading this backend at once (warm start); a task asking for it then waits for that load. */
	warmBackend?: BackendChoice;
}

const {warmBackend} = (workerData ?? {}) as WorkerData;
if (warmBackend) {
	// A failure is left to the first task, whose own loadBackend call retries and reports it.
	loadBackend(warmBackend).catch(() => undefined);
}

interface TaskBase {
	trialId: number;
	params: TrialParams;
	seed: number;
	port: MessagePort;
	/** The sweep's metric: a step whose value of it is not finite ends the objective as diverged. */
	metric: string;
	/** A pruner watches this trial: after each step, wait for the main thread's verdict before the next. */
	awaitVerdict?: boolean;
	/** The trial's last checkpoint, to continue from (see TrainInput.resume; a module objective's trial.restore()). */
	resume?: Uint8Array;
	/** When to checkpoint (send a `checkpoint` message); absent: never. */
	checkpoint?: CheckpointPolicy;
}

/** One trial to run: the built-in trainer on a TrialConfig, or the default export of a module (a file URL). */
export type TrialTask =
	| (TaskBase & {kind: 'builtin'; shape: ModelShape; data: SplitData; backend: BackendChoice; keepWeights?: boolean})
	| (TaskBase & {kind: 'module'; url: string; data?: SplitData});

export interface TaskResult {
	state: 'completed' | 'failed' | 'diverged' | 'interrupted' | 'pruned';
	/** Wall seconds of the objective (the built-in trainer: all epochs, without the test evaluation). */
	trainSeconds: number;
	/** Why it failed, diverged or was interrupted. */
	error?: string;
	/** Why it stopped early without failing: early stopping or a pruner. */
	stopReason?: string;
	/** The built-in trainer with keepWeights: the final weights (getWeights() order) and the epoch they are from. */
	weights?: Float32Array[];
	weightsEpoch?: number;
}

/**
 * Fault injection for the reliability tests, off unless SWEEPLAB_FAILPOINT is set: `throw:<learningRate>` makes
 * trials with that learning rate throw after their first epoch, `exit:<learningRate>` kills the worker thread
 * there (as a crash or an out-of-memory abort would).
 */
function injectFault(config: TrialConfig, epoch: number): void {
	const [action, value] = (process.env.SWEEPLAB_FAILPOINT ?? '').split(':');
	if (epoch !== 1 || value === undefined || Number(value) !== config.learningRate) {
		return;
	}

	if (action === 'exit') {
		process.exit(3);
	}

	if (action === 'throw') {
		throw new Error(`injected failure (SWEEPLAB_FAILPOINT=${action}:${value})`);
	}
}

/** Measured once, by the first trial on tfjs-node: this thread's SIMD kernels and native kernels side by side (choose.ts). */
let nativeCapability: PathCapability | undefined;

/** The built-in trainer as an objective: each epoch is a step with loss, accuracy, val_loss and val_accuracy. */
async function builtinObjective(task: Extract<TrialTask, {kind: 'builtin'}>, trial: ThreadTrial): Promise<TaskResult> {
	const {tf, backend} = await loadBackend(task.backend);
	const config = builtinConfig(task.params);
	// The step goes out as soon as the epoch is done (a diverged epoch included); its verdict is awaited after.
	let verdict: Promise<string | undefined> = Promise.resolve(undefined);
	const {resume, checkpoint, keepWeights} = task;
	// Where tfjs-node trains, a large CNN may go faster on its threaded kernels than on the SIMD path: choose per trial.
	const capability = backend === 'node' ? (nativeCapability ??= measureCapability(tf)) : undefined;
	const result = await trainTrial(tf, {config, seed: task.seed, shape: task.shape, data: task.data, resume, checkpoint, keepWeights, capability}, {
		onStart(info) {
			trial.post({type: 'started', backend, ...info});
		},
		onCheckpoint({epoch, bytes, seconds}) {
			trial.post({type: 'checkpoint', epoch, bytes, seconds}, [bytes.buffer as ArrayBuffer]);
		},
		onWarning(message) {
			trial.post({type: 'warning', message});
		},
		onEpoch(record) {
			verdict = trial.step(epochStep(record));
			injectFault(config, record.epoch);
		},
		afterEpoch: async () => {
			await verdict;
			return trial.stop?.kind === 'interrupted' ? undefined : trial.stop?.reason;
		},
		shouldStop: () => trial.stop?.reason,
	});
	if (result.state === 'pruned' && trial.stop?.kind === 'diverged') {
		return {state: 'diverged', trainSeconds: result.trainSeconds, error: trial.stop.reason};
	}

	if (result.testLoss !== undefined || result.testAccuracy !== undefined) {
		// test_epoch: whose weights were tested (the last epoch, or the best one restored), so reports can quote that epoch's validation numbers beside them.
		trial.post({type: 'final', metrics: {test_loss: result.testLoss ?? Number.NaN, test_accuracy: result.testAccuracy ?? Number.NaN, ...(result.testEpoch !== undefined && {test_epoch: result.testEpoch})}});
	}

	return {state: result.state, trainSeconds: result.trainSeconds, error: result.error, stopReason: result.stopReason, weights: result.weights, weightsEpoch: result.weightsEpoch};
}

/** A module's default export as the objective; it fails its trial only, whatever it throws. */
async function moduleObjective(task: Extract<TrialTask, {kind: 'module'}>, trial: ThreadTrial): Promise<TaskResult> {
	const seconds = () => trial.trainSeconds();
	let returned: unknown;
	try {
		const objective = (await import(task.url) as {default: Objective}).default;
		returned = await objective(trial);
	} catch (error) {
		if (!(error instanceof TrialPruned) || !trial.stop) {
			// A failure before any report leaves the checkpoint be: a retry resumes from it.
			return {state: 'failed', trainSeconds: seconds(), error: errorLine(error)};
		}
	}

	// An objective that neither reported nor restored has started over as far as its checkpoint is concerned.
	trial.settleResume();
	if (trial.stop) {
		const {kind, reason} = trial.stop;
		return kind === 'pruned' ? {state: 'pruned', trainSeconds: seconds(), stopReason: reason} : {state: kind, trainSeconds: seconds(), error: reason};
	}

	if (typeof returned === 'number') {
		// The trial's value of the metric: its step when no step carried the metric, else a final metric.
		if (trial.reportedMetric) {
			trial.post({type: 'final', metrics: {[task.metric]: returned}});
		} else {
			// The verdict may have stopped it now (TypeScript still sees the check above).
			const stop = await trial.step({step: trial.steps + 1, metrics: {[task.metric]: returned}, seconds: seconds()}).then(() => trial.stop as ThreadTrial['stop']);
			if (stop?.kind === 'diverged') {
				return {state: 'diverged', trainSeconds: seconds(), error: stop.reason};
			}
		}
	} else if (returned !== undefined) {
		return {state: 'failed', trainSeconds: seconds(), error: `the objective returned ${typeof returned}; return nothing or a number (the value of ${task.metric})`};
	}

	return {state: 'completed', trainSeconds: seconds()};
}

/** Piscina's entry point (pool.ts names it). */
export async function runTrial(task: TrialTask): Promise<TaskResult> {
	const {port} = task;
	const {metric, awaitVerdict, resume, checkpoint} = task;
	// The built-in trainer handles its own checkpoints (loop.ts); a module objective's go through its Trial.
	const moduleCheckpoints = task.kind === 'module' ? {resume, checkpoint} : {};
	const trial = new ThreadTrial(task.trialId, task.params, task.seed, task.data, port, {metric, awaitVerdict: Boolean(awaitVerdict), ...moduleCheckpoints});
	try {
		return task.kind === 'builtin' ? await builtinObjective(task, trial) : await moduleObjective(task, trial);
	} finally {
		// Return only once the close is through: an idle Piscina thread blocks in Atomics.wait, and a close
		// still queued then never reaches the main thread, whose drain of the port would wait out its timeout.
		// The timeout covers a port the main thread closed first (its 'close' has fired already).
		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, 1000);
			port.once('close', () => {
				clearTimeout(timer);
				resolve();
			});
			port.close();
		});
	}
}
