import {availableParallelism, hostname} from 'node:os';
import {decidePrune} from '../pruners/pruner.js';
import {suggestNextTrial} from '../samplers/next.js';
import {LeaseLostError, type Store, type SweepRecord, type TrialRecord} from '../store/store.js';
import {isSuggestedMethod, type StepRecord, sweepMetric, sweepObjectives, type TrialOutcome} from '../types.js';
import {recordedTrainingPath} from '../train/trainer.js';
import {checkpointTask, CheckpointWriter} from './checkpoints.js';
import {SweepHistory} from './history.js';
import type {RunSink, TrialRunner} from './runner.js';

export interface RunOptions {
	store: Store;
	sweep: SweepRecord;
	/** How each claimed trial runs (threads.ts: the pool's threads; program.ts: child processes). */
	runner: TrialRunner;
	/** Trials run side by side (normally the pool's thread count). */
	workers: number;
	/** A running trial whose heartbeat is older than this is taken to be orphaned and may be reclaimed. */
	leaseMs?: number;
	heartbeatMs?: number;
	/** Aborting stops claiming trials and asks running ones to stop after their current step. */
	signal?: AbortSignal;
	/** A failed trial is requeued while it has had at most this many attempts (so it runs up to retries + 1 times). */
	retries?: number;
	onEvent?(event: RunEvent): void;
}

export type RunEvent =
	| {type: 'trial-start'; trial: TrialRecord}
	| {type: 'trial-built'; trial: TrialRecord; backend: string; paramCount: number; trainingPath: string; convAlgorithms?: string[]; resumedFrom?: number}
	/** A module objective restored its checkpoint after step `step`. */
	| {type: 'resumed'; trial: TrialRecord; step: number}
	| {type: 'warning'; trial: TrialRecord; message: string}
	| {type: 'step'; trial: TrialRecord; record: StepRecord}
	/** trainingPath: as trials.training_path records it (recordedTrainingPath: with the convolutions' algorithms). */
	| {type: 'trial-end'; trial: TrialRecord; outcome: TrialOutcome; epochsRun: number; backend?: string; trainingPath?: string}
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
 * Run every claimable trial of a sweep: `workers` lanes each claim the next trial from the store, run it with
 * the runner, commit each step as it arrives and then the outcome. Claims are atomic in the store, so several
 * processes can work on one sweep. Trials left running by a dead process on this host are requeued at once;
 * those of other hosts when their lease expires.
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
	const history = pruner || isSuggestedMethod(method) ? new SweepHistory(store, sweep.id) : undefined;
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
				if (isSuggestedMethod(method) && await suggest()) {
					continue;
				}

				return;
			}

			active.add(trial.id);
			if (pruner) {
				// Other processes' trials count too: see their epochs as of now.
				await history!.refresh();
			}

			history?.started(trial, trial.epochsRun);
			try {
				const outcome = await runOne(options, trial, owner, history);
				if (outcome) {
					history?.setState(trial.id, outcome.state, outcome.trainSeconds);
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

/** Run one claimed trial; returns its outcome, or undefined when its lease was lost or it was requeued for a retry. */
async function runOne(options: RunOptions, trial: TrialRecord, owner: string, history?: SweepHistory): Promise<TrialOutcome | undefined> {
	const {store, signal, onEvent} = options;
	const {pruner, timeoutMinutes} = options.sweep.definition;
	const metric = sweepMetric(options.sweep.definition);
	const objectives = sweepObjectives(options.sweep.definition);
	onEvent?.({type: 'trial-start', trial});
	const stop = new AbortController();
	const onAbort = () => {
		// The CLI aborts with the signal's name; another caller's reason may be anything.
		const reason: unknown = signal?.reason;
		stop.abort(`interrupted (${typeof reason === 'string' ? reason : 'aborted'})`);
	};

	signal?.addEventListener('abort', onAbort, {once: true});
	// Store writes of one trial happen in order; the first failed write stops the trial and is rethrown below.
	let writes: Promise<void> = Promise.resolve();
	let writeError: unknown;
	const write = async (commit: () => Promise<void>): Promise<void> => {
		writes = writes.then(commit).catch((error: unknown) => {
			writeError ??= error;
			stop.abort('lease lost');
		});
		return writes;
	};

	const checkpoints = await checkpointTask(store, trial, options.sweep.definition);
	const checkpointWriter = new CheckpointWriter(store, trial, owner, commit => void write(commit), message => onEvent?.({type: 'warning', trial, message}));
	let backend: string | undefined;
	let trainingPath: string | undefined;
	let recordedPath: string | undefined;
	let diverged: string | undefined;
	let stepsRun = 0;
	const finalMetrics: Record<string, number> = {};
	/** The thread continues from its checkpoint after `resumedFrom`, or (undefined) trains from step 1. */
	const resumed = (resumedFrom: number | undefined) => {
		if (checkpointWriter.started(checkpoints, resumedFrom) === 'discarded') {
			history?.started(trial);
		}
	};

	const sink: RunSink = {
		started({resumedFrom, ...info}) {
			backend = info.backend;
			trainingPath = info.trainingPath;
			recordedPath = recordedTrainingPath(info.trainingPath, info.convAlgorithms);
			resumed(resumedFrom);
			history?.setParamCount(trial.id, info.paramCount);
			const {convAlgorithms: _convAlgorithms, ...started} = info;
			void write(async () => store.markStarted(trial.id, owner, {...started, trainingPath: recordedPath!, host: owner.split(':')[0], cores: availableParallelism()}));
			onEvent?.({...info, type: 'trial-built', trial, ...(resumedFrom !== undefined && {resumedFrom})});
		},
		resumed(step) {
			resumed(step);
			if (step !== undefined) {
				onEvent?.({type: 'resumed', trial, step});
			}
		},
		checkpoint(epoch, bytes) {
			checkpointWriter.checkpoint(epoch, bytes);
		},
		warning(message) {
			onEvent?.({type: 'warning', trial, message});
		},
		async step(report) {
			stepsRun++;
			await write(async () => store.recordStep(trial.id, owner, report));
			if (writeError) {
				return String(stop.signal.reason);
			}

			onEvent?.({type: 'step', trial, record: report});
			history?.addStep(trial.id, report);
			const value = report.metrics[metric.name];
			if (value !== undefined && !Number.isFinite(value)) {
				diverged ??= `${metric.name} became ${value} at step ${report.step}`;
				return diverged;
			}

			if (pruner) {
				const decision = decidePrune(pruner, history!.prunerTrial(trial), history!.peers(trial.id), metric, objectives);
				if (decision.prune) {
					return decision.reason;
				}
			}

			return stop.signal.aborted ? String(stop.signal.reason) : undefined;
		},
		async final(metrics) {
			Object.assign(finalMetrics, metrics);
		},
	};
	let result;
	try {
		result = await options.runner(trial, sink, {
			signal: stop.signal,
			timeoutMs: timeoutMinutes === undefined ? undefined : timeoutMinutes * 60_000,
			metric,
			pruned: Boolean(pruner),
			checkpoints,
		});
	} finally {
		signal?.removeEventListener('abort', onAbort);
	}

	await writes;
	if (writeError) {
		if (writeError instanceof LeaseLostError) {
			return undefined;
		}

		throw writeError;
	}

	// Whatever ran it, a metric that stopped being a number ends the trial as diverged.
	const state = diverged && (result.state === 'completed' || result.state === 'pruned') ? 'diverged' : result.state;
	const outcome: TrialOutcome = {
		state,
		...(Object.keys(finalMetrics).length > 0 && {metrics: finalMetrics}),
		trainSeconds: result.trainSeconds,
		error: state === 'diverged' ? (result.state === 'diverged' ? result.error : diverged) : result.error,
		stopReason: result.stopReason,
		logPath: result.logPath,
	};
	if (outcome.state === 'failed' && trial.attempts <= (options.retries ?? 0)) {
		await store.requeueTrial(trial.id, owner);
		onEvent?.({type: 'retry', trial, error: outcome.error ?? ''});
		return undefined;
	}

	if (result.weights && outcome.state === 'completed') {
		try {
			await checkpointWriter.keepWeights(result.weights, {trainingPath: trainingPath ?? 'layers', epoch: result.weightsEpoch ?? stepsRun, shape: result.shape!});
		} catch (error) {
			if (error instanceof LeaseLostError) {
				return undefined;
			}

			throw error;
		}
	}

	await store.finishTrial(trial.id, owner, outcome);
	onEvent?.({type: 'trial-end', trial, outcome, epochsRun: stepsRun, backend, ...(recordedPath !== undefined && recordedPath !== trainingPath && {trainingPath: recordedPath})});
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
