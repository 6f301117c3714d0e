/**
 * The Piscina thread (resolved by pool.ts): trains one trial per task and streams its epochs over a transferred MessagePort.
 * tfjs and its backend load once per worker thread (module state), so a warm worker starts a trial
 * without reloading anything; the pixel arrays arrive as views of SharedArrayBuffers (no copy).
 */
import {type MessagePort, workerData} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import type {BackendName, CheckpointPolicy, EpochRecord, TrialConfig} from '../types.js';
import {type BackendChoice, loadBackend} from './backend.js';
import {trainTrial, type TrainResult} from './loop.js';
import type {ModelShape} from './model.js';

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

export interface TrainTask {
	config: TrialConfig;
	seed: number;
	shape: ModelShape;
	data: SplitData;
	backend: BackendChoice;
	port: MessagePort;
	/** A pruner watches this trial: after each epoch, wait for the main thread's verdict before the next. */
	awaitVerdict?: boolean;
	/** The trial's last checkpoint, to continue from (see TrainInput.resume). */
	resume?: Uint8Array;
	/** When to send a `checkpoint` message; absent: never. */
	checkpoint?: CheckpointPolicy;
	/** Return the final weights in the result (keepBestWeights). */
	keepWeights?: boolean;
}

/** Worker -> main thread, over the task's port. */
export type WorkerMessage =
	| {type: 'started'; backend: BackendName; trainingPath: string; paramCount: number; resumedFrom?: number}
	| {type: 'epoch'; record: EpochRecord}
	/** The state after `epoch`, sent after that epoch's message; its buffer is transferred. `seconds`: what capturing it cost this thread. */
	| {type: 'checkpoint'; epoch: number; bytes: Uint8Array; seconds: number}
	| {type: 'warning'; message: string};

/**
 * Main thread -> worker. `stop`: finish the current epoch, then stop with `interrupted`. `verdict`: the
 * pruner's answer to the epoch just sent (a prune reason ends the trial as `pruned`).
 */
export type ControlMessage = {type: 'stop'; reason: string} | {type: 'verdict'; prune?: string};

export interface TrainTaskResult extends TrainResult {
	backend: BackendName;
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

export async function train(task: TrainTask): Promise<TrainTaskResult> {
	const {port} = task;
	let stopReason: string | undefined;
	let onVerdict: ((prune: string | undefined) => void) | undefined;
	port.on('message', (message: ControlMessage) => {
		if (message.type === 'stop') {
			stopReason = message.reason;
			// A stop also releases a wait for a verdict, so an interrupted run never hangs on a pruner.
			onVerdict?.(undefined);
		} else {
			onVerdict?.(message.prune);
		}
	});
	try {
		const {tf, backend} = await loadBackend(task.backend);
		const result = await trainTrial(tf, task, {
			onStart(info) {
				port.postMessage({type: 'started', backend, ...info} satisfies WorkerMessage);
			},
			onEpoch(record) {
				port.postMessage({type: 'epoch', record} satisfies WorkerMessage);
				injectFault(task.config, record.epoch);
			},
			onCheckpoint({epoch, bytes, seconds}) {
				port.postMessage({type: 'checkpoint', epoch, bytes, seconds} satisfies WorkerMessage, [bytes.buffer as ArrayBuffer]);
			},
			onWarning(message) {
				port.postMessage({type: 'warning', message} satisfies WorkerMessage);
			},
			shouldStop: () => stopReason,
			...(task.awaitVerdict && {
				afterEpoch: async () => new Promise<string | undefined>(resolve => {
					onVerdict = prune => {
						onVerdict = undefined;
						resolve(prune);
					};
				}),
			}),
		});
		return {...result, backend};
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
