import {availableParallelism} from 'node:os';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Argv} from 'yargs';
import {loadDataset, splitDataset} from '../data/load.js';
import {UsageError} from '../errors.js';
import {DEFAULT_RECONNECT_MS} from '../store/postgres.js';
import type {Store, SweepRecord, TrialRecord} from '../store/store.js';
import {DEFAULT_LEASE_MS, ownerId, runSweep, type RunSummary} from '../run/loop.js';
import {sweptKeys} from '../sweep/describe.js';
import {type BackendChoice, defaultWorkers, resolveBackend} from '../train/backend.js';
import {createTrainPool} from '../train/pool.js';
import {BACKENDS, isUnfinished} from '../types.js';
import {formatSeconds, globalOptions, type GlobalArgs, type Io, openStore, showDb} from './common.js';
import {ProgressPrinter} from './progress.js';
import {EXIT_INTERRUPTED} from './run.js';

export interface WorkerArgs extends GlobalArgs {
	sweep: string;
	workers?: number;
	backend: BackendChoice;
	dataDir?: string;
	retries: number;
	leaseSeconds: number;
	reconnectSeconds: number;
	wait: boolean;
}

export function workerBuilder(yargs: Argv): Argv<WorkerArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Name of a sweep already in the database (see sweeplab status)'})
		.option('workers', {alias: 'w', type: 'number', describe: 'Trials this host trains side by side', defaultDescription: 'one per core (1 with --backend node)'})
		.option('backend', {choices: ['auto', ...BACKENDS] as const, default: 'auto' as BackendChoice, describe: 'tfjs backend: auto picks node, else wasm, else cpu'})
		.option('retries', {type: 'number', default: 0, describe: 'Rerun a failed trial up to N more times'})
		.option('lease-seconds', {
			type: 'number',
			default: DEFAULT_LEASE_MS / 1000,
			describe: 'A running trial without a heartbeat for this long is taken to be orphaned (its host died) and is trained again',
		})
		.option('reconnect-seconds', {
			type: 'number',
			default: DEFAULT_RECONNECT_MS / 1000,
			describe: 'How long to keep retrying a lost database connection before giving up',
		})
		.option('wait', {
			type: 'boolean',
			default: true,
			describe: 'While other hosts still run trials, stay and take over any whose lease expires (--no-wait: exit when nothing is claimable)',
		})
		.option('data-dir', {type: 'string', default: process.env.SWEEPLAB_DATA_DIR, defaultDescription: '$SWEEPLAB_DATA_DIR', describe: 'Folder holding the four Fashion-MNIST IDX files'})
		.check(args => {
			for (const key of ['lease-seconds', 'reconnect-seconds'] as const) {
				const value = args[key] as number;
				if (!Number.isFinite(value) || value <= 0) {
					throw new UsageError(`--${key} ${String(value)}: must be a positive number of seconds`);
				}
			}

			return true;
		}) as unknown as Argv<WorkerArgs>;
}

export interface WorkerResult {
	summary: RunSummary;
	exitCode: number;
}

/**
 * `sweeplab worker <sweep>`: join a sweep someone created with `sweeplab run` (normally on a shared PostgreSQL
 * database). The definition comes from the database and the dataset from this host; the run loop is the same as
 * `run`'s. Passes repeat until the sweep has no unfinished trial: between passes it waits for trials other hosts
 * still hold, so one whose host died is taken over once its lease expires.
 */
export async function workerCommand(args: WorkerArgs, io: Io, signal?: AbortSignal): Promise<WorkerResult> {
	const leaseMs = Math.round(args.leaseSeconds * 1000);
	const store = openStore(args.db, {reconnectMs: Math.round(args.reconnectSeconds * 1000)});
	try {
		const sweep = await findSweep(store, args.sweep, showDb(args.db));
		const {definition} = sweep;
		const dataset = await loadDataset(definition.dataset.name, {dataDir: args.dataDir});
		const data = splitDataset(dataset, definition.dataset);
		const backend = resolveBackend(args.backend);
		const workers = Math.max(1, args.workers ?? defaultWorkers(backend, availableParallelism()));
		const trials = await store.trials(sweep.id);
		io.stdout.write(
			`worker ${ownerId()} on sweep '${sweep.name}': ${trials.length} trials (${unfinished(trials).length} unfinished) on ${definition.dataset.name} · backend ${args.backend === 'auto' ? `auto (${backend})` : backend} · ${workers} worker${workers === 1 ? '' : 's'} · lease ${args.leaseSeconds} s\n`,
		);

		const progress = new ProgressPrinter(io, {keys: sweptKeys(definition), workers, trials});
		const pool = createTrainPool(workers, {backend: args.backend});
		const total: RunSummary = {ended: {completed: 0, failed: 0, diverged: 0, pruned: 0, interrupted: 0, timeout: 0}, wallSeconds: 0, interrupted: false};
		try {
			for (;;) {
				const pass = await runSweep({
					store,
					sweep,
					data,
					shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses},
					pool,
					workers,
					backend: args.backend,
					leaseMs,
					// Three heartbeats per lease: one late or lost beat does not cost the trial.
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
				if (pass.interrupted || !args.wait) {
					break;
				}

				const left = unfinished(await store.trials(sweep.id));
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
			await pool.destroy();
		}

		const ended = Object.entries(total.ended).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || 'nothing to train';
		io.stdout.write(`worker ${ownerId()}: ${ended} in ${formatSeconds(total.wallSeconds)}. See sweeplab best ${sweep.name} --db <the same database>\n`);
		if (total.interrupted) {
			io.stderr.write(`sweeplab: interrupted; trials this worker had not finished go back to the queue. Rejoin with: sweeplab worker ${sweep.name} --db <the same database>\n`);
			return {summary: total, exitCode: EXIT_INTERRUPTED};
		}

		return {summary: total, exitCode: 0};
	} finally {
		await store.close();
	}
}

const unfinished = (trials: TrialRecord[]): TrialRecord[] => trials.filter(trial => isUnfinished(trial.state));

/** @throws UsageError naming the sweeps the database has when `name` is not one of them. */
async function findSweep(store: Store, name: string, db: string): Promise<SweepRecord> {
	const sweep = await store.getSweep(name);
	if (sweep) {
		return sweep;
	}

	const names = (await store.listSweeps()).map(status => status.sweep.name);
	throw new UsageError(
		`no sweep named "${name}" in ${db}; ${names.length > 0 ? `it has: ${names.join(', ')}` : 'it has no sweeps yet'}. Create it with sweeplab run <file> --db ${db}`,
	);
}
