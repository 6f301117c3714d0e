import type {Argv} from 'yargs';
import {UsageError} from '../errors.js';
import {DEFAULT_LEASE_MS, ownerId, type RunSummary} from '../run/loop.js';
import {DEFAULT_RECONNECT_MS} from '../store/postgres.js';
import type {Store, SweepRecord} from '../store/store.js';
import {isUnfinished} from '../types.js';
import {formatSeconds, type Io, numberOption, openStore, showDb} from './common.js';
import {describeEnded, describeHost, describeWork, EXIT_INTERRUPTED, loadSweepData, sweepRunner, type TrainArgs, trainOptions, trainSweep, withPool} from './train-options.js';

export interface WorkerArgs extends TrainArgs {
	sweep: string;
	leaseSeconds: number;
	reconnectSeconds: number;
	wait: boolean;
}

export function workerBuilder(yargs: Argv): Argv<WorkerArgs> {
	return trainOptions(yargs, 'Trials this host trains side by side')
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Name of a sweep already in the database (see sweeplab status)'})
		.option('lease-seconds', numberOption('lease-seconds', 'positive number', {
			default: DEFAULT_LEASE_MS / 1000,
			describe: 'A running trial without a heartbeat for this long is taken to be orphaned (its host died) and is trained again',
		}))
		.option('reconnect-seconds', numberOption('reconnect-seconds', 'positive number', {
			default: DEFAULT_RECONNECT_MS / 1000,
			describe: 'How long to keep retrying a database connection that was working and dropped before giving up',
		}))
		.option('wait', {
			type: 'boolean',
			default: true,
			describe: 'While other hosts still run trials, stay and take over any whose lease expires (--no-wait: exit when nothing is claimable)',
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
	const store = openStore(args.db, {reconnectMs: Math.round(args.reconnectSeconds * 1000)});
	try {
		const sweep = await findSweep(store, args.sweep, showDb(args.db));
		const {definition} = sweep;
		return await withPool(args, {trials: Number.POSITIVE_INFINITY, definition}, async host => {
			const data = await loadSweepData(definition, args.dataDir);
			const trials = await store.trials(sweep.id);
			const unfinished = trials.filter(trial => isUnfinished(trial.state)).length;
			io.stdout.write(`worker ${ownerId()} on sweep '${sweep.name}': ${trials.length} trials (${unfinished} unfinished) ${describeWork(definition)} · ${describeHost(args, host, host.size)} · lease ${args.leaseSeconds} s\n`);

			const summary = await trainSweep(args, io, {store, sweep, host, runner: sweepRunner(args, sweep, host, data), workers: host.size, trials, leaseMs: Math.round(args.leaseSeconds * 1000), wait: args.wait, signal});
			io.stdout.write(`worker ${ownerId()}: ${describeEnded(summary)} in ${formatSeconds(summary.wallSeconds)}. See sweeplab best ${sweep.name} --db <the same database>\n`);
			if (summary.interrupted) {
				io.stderr.write(`sweeplab: interrupted; trials this worker had not finished go back to the queue. Rejoin with: sweeplab worker ${sweep.name} --db <the same database>\n`);
				return {summary, exitCode: EXIT_INTERRUPTED};
			}

			return {summary, exitCode: 0};
		});
	} finally {
		await store.close();
	}
}

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
