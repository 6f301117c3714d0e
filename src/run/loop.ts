import {availableParallelism, hostname} from 'node:os';
import {MessageChannel} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import {decidePrune} from '../pruners/pruner.js';
import {suggestNextTrial} from '../samplers/next.js';
import {LeaseLostError, type Store, type SweepRecord, type TrialRecord} from '../store/store.js';
import type {BackendChoice} from '../train/backend.js';
import type {ModelShape} from '../train/model.js';
import type {TrainPool} from '../train/pool.js';
import type {TrainTaskResult, WorkerMessage} from '../train/thread.js';
import type {EpochRecord, TrialOutcome} from '../types.js';
import {SweepHistory} from './history.js';

export interface RunOptions {
	store: Store;
	sweep: SweepRecord;
	data: SplitData;
	shape: ModelShape;
	pool: TrainPool;
	/** Trials trained side by side (normally the pool's thread count). */
	workers: number;
	backend: BackendChoice;
	/** A running trial whose heartbeat is older than this is taken to be orphaned and may be reclaimed. */
	leaseMs?: number;
	heartbeatMs?: number;
	/** Aborting stops claiming trials and asks running ones to stop after their current epoch. */
	signal?: AbortSignal;
	/** A failed trial is requeued while it has had at most this many attempts (so it runs up to retries + 1 times). */
	retries?: number;
	onEvent?(event: RunEvent): void;
}

export type RunEvent =
	| {type: 'trial-start'; trial: TrialRecord}
	| {type: 'trial-built'; trial: TrialRecord; backend: string; paramCount: number; trainingPath: string}
	| {type: 'epoch'; trial: TrialRecord; record: EpochRecord}
	| {type: 'trial-end'; trial: TrialRecord; outcome: TrialOutcome; epochsRun: number; backend?: string}
	| {type: 'requeued'; trial: TrialRecord; reason: string}
	| {type: 'retry'; trial: TrialRecord; error: string};

export interface RunSummary {
	/** Trials this run claimed, by how they ended. */
	ended: Record<TrialOutcome['state'], number>;
	wallSeconds: number;
	interrupted: boolean;
}

export const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_HEARTBEAT_MS = 10_000;

/** This machine's name on its trials: $SWEEPLAB_HOST when set (containers often get random hostnames), else the hostname. */
export function hostName(): string {
	return process.env.SWEEPLAB_HOST || hostname();
}

/** `host:pid`: who holds a trial's lease. */
export function ownerId(): string {
	return `${hostName()}:${process.pid}`;
}

/**
 * Train every claimable trial of a sweep: `workers` lanes each claim the next trial from the store,
 * train it on the pool, write each epoch as it arrives and then the outcome. Claims are atomic in the
 * store, so several processes can work on one sweep. Trials left running by a dead process on this
 * host are requeued at once; those of other hosts when their lease expires.
 */
export async function runSweep(options: RunOptions): Promise<RunSummary> {
	const {store, sweep, signal} = options;
	const owner = ownerId();
	const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
	const started = performance.now();
	const ended: RunSummary['ended'] = {completed: 0, failed: 0, diverged: 0, pruned: 0, interrupted: 0, timeout: 0};
	await requeueDeadLocalOwners(options);

	// Pruners and the tpe sampler judge a trial by the others: keep the sweep's history at hand.
	const {pruner, method} = sweep.definition;
	const history = pruner || method === 'tpe' ? new SweepHistory(store, sweep.id) : undefined;
	await history?.refresh();
	// One suggestion at a time, so that each lane's suggestion sees the previous one as pending.
	let suggesting: Promise<unknown> = Promise.resolve();
	const suggest = async (): Promise<boolean> => {
		const turn = suggesting.then(async () => {
			await history!.refresh();
			const spec = suggestNextTrial(sweep.definition, history!);
			return spec ? (await store.addTrials(sweep.id, [spec])) > 0 : false;
		});
		suggesting = turn.catch(() => undefined);
		return turn;
	};

	const active = new Set<number>();
	const heartbeat = setInterval(() => {
		if (active.size > 0) {
			store.heartbeat([...active], owner).catch(() => undefined);
		}
	}, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
	heartbeat.unref();

	const lane = async () => {
		while (!signal?.aborted) {
			const trial = await store.claimTrial(sweep.id, owner, leaseMs);
			if (!trial) {
				if (method === 'tpe' && await suggest()) {
					continue;
				}

				return;
			}

			active.add(trial.id);
			if (pruner) {
				// Other processes' trials count too: see their epochs as of now.
				await history!.refresh();
			}

			history?.started(trial.id, trial.config);
			try {
				const outcome = await trainOne(options, trial, owner, history);
				if (outcome) {
					history?.setState(trial.id, outcome.state);
					ended[outcome.state]++;
				}
			} finally {
				active.delete(trial.id);
				// Requeued or lost to another process: the store knows its state from here on.
				history?.release(trial.id);
			}
		}
	};

	try {
		await Promise.all(Array.from({length: options.workers}, async () => lane()));
	} finally {
		clearInterval(heartbeat);
	}

	return {ended, wallSeconds: (performance.now() - started) / 1000, interrupted: Boolean(signal?.aborted)};
}

/** Train one claimed trial; returns its outcome, or undefined when its lease was lost or it was requeued for a retry. */
async function trainOne(options: RunOptions, trial: TrialRecord, owner: string, history?: SweepHistory): Promise<TrialOutcome | undefined> {
	const {store, signal, onEvent} = options;
	const {pruner} = options.sweep.definition;
	onEvent?.({type: 'trial-start', trial});
	const {port1, port2} = new MessageChannel();
	const portClosed = new Promise<void>(resolve => {
		port1.once('close', resolve);
	});
	// Store writes of one trial happen in message order; a failed write is kept and rethrown below.
	let writes: Promise<void> = Promise.resolve();
	let writeError: unknown;
	const enqueue = (write: () => Promise<void>) => {
		writes = writes.then(write).catch((error: unknown) => {
			writeError ??= error;
			port1.postMessage({type: 'stop', reason: 'lease lost'});
		});
	};

	let backend: string | undefined;
	port1.on('message', (message: WorkerMessage) => {
		if (message.type === 'started') {
			backend = message.backend;
			enqueue(async () => store.markStarted(trial.id, owner, {backend: message.backend, trainingPath: message.trainingPath, host: owner.split(':')[0], cores: availableParallelism(), paramCount: message.paramCount}));
			onEvent?.({type: 'trial-built', trial, backend: message.backend, paramCount: message.paramCount, trainingPath: message.trainingPath});
		} else {
			enqueue(async () => store.recordEpoch(trial.id, owner, message.record));
			onEvent?.({type: 'epoch', trial, record: message.record});
			history?.addEpoch(trial.id, message.record);
			if (pruner) {
				// The worker waits for this verdict before its next epoch.
				const decision = decidePrune(pruner, {id: trial.id, epochs: history!.epochs(trial.id)}, history!.peers(trial.id));
				port1.postMessage({type: 'verdict', prune: decision.prune ? decision.reason : undefined});
			}
		}
	});
	const onAbort = () => {
		port1.postMessage({type: 'stop', reason: 'interrupted (SIGINT)'});
	};

	signal?.addEventListener('abort', onAbort, {once: true});
	// timeoutMinutes: ask the worker to stop after its current epoch; if it has not returned after a grace
	// period (an epoch can be long), abort the task, which terminates the worker thread.
	const timeoutMinutes = options.sweep.definition.timeoutMinutes;
	const hardStop = new AbortController();
	let timedOut = false;
	const timers = timeoutMinutes === undefined ? [] : [
		setTimeout(() => {
			timedOut = true;
			port1.postMessage({type: 'stop', reason: `exceeded timeoutMinutes: ${timeoutMinutes}`});
		}, timeoutMinutes * 60_000),
		setTimeout(() => {
			hardStop.abort();
		}, timeoutMinutes * 60_000 * 1.1 + 30_000),
	];
	let result: TrainTaskResult | undefined;
	let failure: string | undefined;
	try {
		result = await options.pool.run(
			{config: trial.config, seed: trial.seed, shape: options.shape, data: options.data, backend: options.backend, port: port2, awaitVerdict: Boolean(pruner)},
			{transferList: [port2], signal: hardStop.signal},
		);
	} catch (error) {
		failure = hardStop.signal.aborted ? `exceeded timeoutMinutes: ${timeoutMinutes} (worker stopped mid-epoch)` : oneLine(error);
	} finally {
		signal?.removeEventListener('abort', onAbort);
		for (const timer of timers) {
			clearTimeout(timer);
		}
	}

	// The task's result and the port's messages travel on different channels: drain the port first.
	await Promise.race([portClosed, new Promise(resolve => {
		setTimeout(resolve, 5000).unref();
	})]);
	port1.close();
	await writes;
	if (writeError) {
		if (writeError instanceof LeaseLostError) {
			return undefined;
		}

		throw writeError;
	}

	const outcome: TrialOutcome = result
		? {state: timedOut && result.state === 'interrupted' ? 'timeout' : result.state, testLoss: result.testLoss, testAccuracy: result.testAccuracy, trainSeconds: result.trainSeconds, error: result.error, stopReason: result.stopReason}
		: {state: timedOut ? 'timeout' : 'failed', error: failure ?? 'unknown failure'};
	if (outcome.state === 'failed' && trial.attempts <= (options.retries ?? 0)) {
		await store.requeueTrial(trial.id, owner);
		onEvent?.({type: 'retry', trial, error: outcome.error ?? ''});
		return undefined;
	}

	await store.finishTrial(trial.id, owner, outcome);
	onEvent?.({type: 'trial-end', trial, outcome, epochsRun: result?.epochsRun ?? 0, backend: result?.backend ?? backend});
	return outcome;
}

/** A process on this host that no longer exists cannot finish its trials: hand them back at once. */
async function requeueDeadLocalOwners(options: RunOptions): Promise<void> {
	const host = hostName();
	for (const trial of await options.store.trials(options.sweep.id)) {
		if (trial.state !== 'running' || !trial.owner) {
			continue;
		}

		const [ownerHost, pidText] = trial.owner.split(':');
		if (ownerHost === host && !processAlive(Number(pidText))) {
			await options.store.requeueTrial(trial.id, trial.owner);
			options.onEvent?.({type: 'requeued', trial, reason: `its process ${pidText} is gone`});
		}
	}
}

function processAlive(pid: number): boolean {
	if (!Number.isInteger(pid) || pid <= 0) {
		return false;
	}

	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** An error as one line: worker errors can carry multi-line stacks and tfjs diagnostics. */
export function oneLine(error: unknown): string {
	const text = error instanceof Error ? `${error.name === 'Error' ? '' : error.name + ': '}${error.message}` : String(error);
	return text.split('\n')[0].slice(0, 500);
}
