/**
 * What `run` and `worker` share: the options of how this host trains, and the wiring from them to the run loop
 * (pool, dataset, progress display). `run` creates or resumes a sweep from its file; `worker` joins one from the database.
 */
import {accessSync, constants, mkdirSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Argv} from 'yargs';
import {pathToFileURL} from 'node:url';
import {loadDataset, type SplitData, splitDataset} from '../data/load.js';
import {DEFAULT_LEASE_MS, runSweep, type RunSummary} from '../run/loop.js';
import type {TrialRunner} from '../run/runner.js';
import {programRunner} from '../run/program.js';
import {threadRunner} from '../run/threads.js';
import {UsageError} from '../errors.js';
import type {Store, SweepRecord, TrialRecord} from '../store/store.js';
import {sweptKeys} from '../sweep/describe.js';
import {programPath} from '../sweep/read.js';
import {type BackendChoice, defaultWorkers, resolveBackend} from '../train/backend.js';
import type {ModelShape} from '../train/model.js';
import {createTrainPool, type TrainPool} from '../train/pool.js';
import {BACKENDS, type BackendName, isUnfinished, sweepMetric, type SweepDefinition} from '../types.js';
import {globalOptions, type GlobalArgs, type Io, numberOption, trialsDirOption, trialsRoot} from './common.js';
import {ProgressPrinter} from './progress.js';

/** The options of how this host trains. */
export interface TrainArgs extends GlobalArgs {
	workers?: number;
	backend: BackendChoice;
	dataDir?: string;
	retries: number;
	trialsDir?: string;
}

/** Exit code of a run or worker that was interrupted: resumable, but not done. */
export const EXIT_INTERRUPTED = 130;

export function trainOptions<T>(yargs: Argv<T>, workers: string): Argv<T & TrainArgs> {
	return globalOptions(yargs)
		.option('workers', numberOption('workers', 'positive integer', {alias: 'w', describe: workers, defaultDescription: 'one per core (1 with --backend node where WebAssembly SIMD is missing)'}))
		.option('backend', {choices: ['auto', ...BACKENDS] as const, default: 'auto' as BackendChoice, describe: 'tfjs backend: auto picks node, else wasm, else cpu'})
		.option('retries', numberOption('retries', 'integer >= 0', {default: 0, describe: 'Rerun a failed trial up to N more times'}))
		.option('data-dir', {type: 'string', default: process.env.SWEEPLAB_DATA_DIR, defaultDescription: '$SWEEPLAB_DATA_DIR', describe: 'Folder holding the four Fashion-MNIST IDX files'})
		.option('trials-dir', trialsDirOption('Program sweeps: where each trial\'s folder (its log, SWEEPLAB_TRIAL_DIR) goes, as <dir>/<sweep>/trial-<id>')) as unknown as Argv<T & TrainArgs>;
}

/** The pool a command trains on, with the backend `--backend auto` resolved to. */
export interface TrainHost {
	backend: BackendName;
	/** Undefined for a program command sweep: its trials are child processes, run `size` side by side. */
	pool: TrainPool | undefined;
	/** Its threads (see poolSize). */
	size: number;
}

/**
 * Start the pool and hand it to `use`; it is destroyed when `use` settles. Started before the dataset is decoded,
 * its threads load tfjs meanwhile (warm start) when the sweep trains the built-in networks.
 */
export async function withPool<T>(args: TrainArgs, sweep: {trials: number; definition: SweepDefinition}, use: (host: TrainHost) => Promise<T>): Promise<T> {
	const backend = resolveBackend(args.backend);
	const size = poolSize(args.workers, backend, sweep.trials);
	const {program} = sweep.definition;
	const pool = program && 'command' in program ? undefined : createTrainPool(size, {backend: program ? undefined : args.backend});
	try {
		return await use({backend, pool, size});
	} finally {
		await pool?.destroy();
	}
}

/** Threads for `trials` trials side by side: --workers, else defaultWorkers (one per core as trials train), but no more than the trials. */
export function poolSize(workers: number | undefined, backend: BackendName, trials: number): number {
	return Math.max(1, Math.min(workers ?? defaultWorkers(backend, availableParallelism()), trials));
}

export interface SweepData {
	data: SplitData;
	shape: ModelShape;
}

/** The dataset a sweep trains on, split as its definition asks, and the shape its models take; undefined when it names none (program sweeps). */
export async function loadSweepData(definition: SweepDefinition, dataDir: string | undefined): Promise<SweepData | undefined> {
	if (!definition.dataset) {
		return undefined;
	}

	const dataset = await loadDataset(definition.dataset.name, {dataDir});
	return {data: splitDataset(dataset, definition.dataset), shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses}};
}

/**
 * What a sweep's trials run on: the built-in trainer or a module objective in the pool's threads, or a program
 * command as child processes. `file` is the sweep file, which program paths are relative to. Made before the
 * sweep is stored.
 */
export function sweepRunner(args: TrainArgs, sweep: {definition: SweepDefinition; file: string}, host: TrainHost, data: SweepData | undefined): TrialRunner {
	const {program} = sweep.definition;
	if (!program) {
		return threadRunner(host.pool!, {kind: 'builtin', data: data!.data, shape: data!.shape, backend: args.backend});
	}

	if ('module' in program) {
		return threadRunner(host.pool!, {kind: 'module', url: pathToFileURL(programPath(sweep.file, program.module)).href, data: data?.data});
	}

	const spec = {command: program.command, cwd: programPath(sweep.file, program.cwd ?? '.'), env: program.env ?? {}};
	const trialsDir = join(trialsRoot(args), sweep.definition.name);
	checkTrialsDir(trialsDir);
	return programRunner(spec, trialsDir);
}

/**
 * The sweep's trial folders (each trial's log and SWEEPLAB_CHECKPOINT_DIR) must be writable before a trial starts:
 * otherwise every trial would fail on it and, failed being final, stay failed once the folder is fixed.
 * @throws UsageError naming the folder and why.
 */
function checkTrialsDir(dir: string): void {
	try {
		mkdirSync(dir, {recursive: true});
		accessSync(dir, constants.W_OK);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
		throw new UsageError(`the trials folder ${dir} cannot be written (${code}): each program trial's log and SWEEPLAB_CHECKPOINT_DIR go there; name a writable folder with --trials-dir or SWEEPLAB_TRIALS_DIR`, {cause: error});
	}
}

/** `on fashion-mnist` or `running python3 train.py ${args}`: what a sweep trains, for the first line of run and worker. */
export function describeWork(definition: SweepDefinition): string {
	const {program} = definition;
	if (!program) {
		return `on ${definition.dataset!.name}`;
	}

	return 'module' in program ? `running module ${program.module}` : `running ${program.command.join(' ')}`;
}

/** `backend X · N workers`, as the first line of run and worker shows it. */
export function describeHost(args: TrainArgs, host: TrainHost, workers: number): string {
	const lanes = `${workers} worker${workers === 1 ? '' : 's'}`;
	// Program command trials are child processes: no tfjs backend is involved.
	if (!host.pool) {
		return lanes;
	}

	return `backend ${args.backend === 'auto' ? `auto (${host.backend})` : host.backend} · ${lanes}`;
}

export interface TrainSweepOptions {
	store: Store;
	sweep: SweepRecord;
	host: TrainHost;
	/** Trials trained side by side on the pool. */
	workers: number;
	/** How the trials run (sweepRunner, made before the sweep was stored). */
	runner: TrialRunner;
	/** The sweep's trials as training starts, for the progress display. */
	trials: TrialRecord[];
	/** Trials a tpe sweep will still suggest, each expected to train `epochs` epochs (counted in the progress). */
	planned?: {trials: number; epochs: number};
	/** A running trial without a heartbeat for this long is taken over (default DEFAULT_LEASE_MS); heartbeats come three times a lease. */
	leaseMs?: number;
	/**
	 * Repeat passes until the sweep has no unfinished trial: between passes, wait for trials other hosts still
	 * hold, so one whose host died is taken over once its lease expires. Without it, one pass.
	 */
	wait?: boolean;
	signal?: AbortSignal;
}

/** Train the sweep's claimable trials on the pool with the progress display; the summary adds up every pass. */
export async function trainSweep(args: TrainArgs, io: Io, options: TrainSweepOptions): Promise<RunSummary> {
	const {store, sweep, workers, signal} = options;
	const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
	const progress = new ProgressPrinter(io, {keys: sweptKeys(sweep.definition), parameters: sweep.definition.parameters, metric: sweepMetric(sweep.definition), workers, trials: options.trials, planned: options.planned});
	const total: RunSummary = {ended: {completed: 0, failed: 0, diverged: 0, pruned: 0, interrupted: 0, timeout: 0}, wallSeconds: 0, interrupted: false};
	try {
		for (;;) {
			const pass = await runSweep({
				store,
				sweep,
				runner: options.runner,
				workers,
				leaseMs,
				// Three heartbeats per lease (at most every 10 s): one late or lost beat does not cost the trial.
				heartbeatMs: Math.min(10_000, Math.max(100, Math.floor(leaseMs / 3))),
				signal,
				retries: args.retries,
				onEvent: event => {
					progress.handle(event);
				},
			});
			for (const [state, n] of Object.entries(pass.ended)) {
				total.ended[state as keyof RunSummary['ended']] += n;
			}

			total.wallSeconds += pass.wallSeconds;
			total.interrupted = pass.interrupted;
			if (pass.interrupted || !options.wait) {
				break;
			}

			const left = (await store.trials(sweep.id)).filter(trial => isUnfinished(trial.state));
			if (left.length === 0) {
				break;
			}

			// Only trials other hosts hold are left (else the pass would have claimed them): look again well within a lease.
			const pollMs = Math.min(5000, Math.max(200, Math.floor(leaseMs / 4)));
			try {
				await sleep(pollMs, undefined, {signal});
			} catch {
				total.interrupted = true;
				break;
			}

			total.wallSeconds += pollMs / 1000;
		}
	} finally {
		progress.finish();
	}

	return total;
}

/** `3 completed, 1 pruned` (or `nothing to train`) for the closing line. */
export function describeEnded(summary: RunSummary): string {
	return Object.entries(summary.ended).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || 'nothing to train';
}
