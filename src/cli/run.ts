import {availableParallelism} from 'node:os';
import type {Argv} from 'yargs';
import {loadDataset, splitDataset} from '../data/load.js';
import {runSweep, type RunSummary} from '../run/loop.js';
import {type BackendChoice, defaultWorkers, resolveBackend} from '../train/backend.js';
import {createTrainPool, type TrainPool} from '../train/pool.js';
import {sweptKeys} from '../sweep/describe.js';
import {definitionHash} from '../sweep/hash.js';
import {BACKENDS, type BackendName, isUnfinished} from '../types.js';
import {formatSeconds, globalOptions, type GlobalArgs, type Io, openStore, showDb} from './common.js';
import {ProgressPrinter} from './progress.js';
import {loadSweepInput, type SweepInput} from './sweep-input.js';
import {bestCommand, renderBest} from './best.js';
import {DEFAULT_MARGIN} from '../report/ranking.js';

export interface RunArgs extends GlobalArgs {
	file: string;
	workers?: number;
	backend: BackendChoice;
	dataDir?: string;
	retries: number;
}

/** Exit code of a run that was interrupted: resumable, but not done. */
export const EXIT_INTERRUPTED = 130;

export function runBuilder(yargs: Argv): Argv<RunArgs> {
	return globalOptions(yargs)
		.positional('file', {type: 'string', demandOption: true, describe: 'Sweep file (YAML or JSON)'})
		.option('workers', {alias: 'w', type: 'number', describe: 'Trials trained side by side', defaultDescription: 'one per core (1 with --backend node)'})
		.option('backend', {choices: ['auto', ...BACKENDS] as const, default: 'auto' as BackendChoice, describe: 'tfjs backend: auto picks node, else wasm, else cpu'})
		.option('retries', {type: 'number', default: 0, describe: 'Rerun a failed trial up to N more times'})
		.option('data-dir', {type: 'string', default: process.env.SWEEPLAB_DATA_DIR, defaultDescription: '$SWEEPLAB_DATA_DIR', describe: 'Folder holding the four Fashion-MNIST IDX files'}) as unknown as Argv<RunArgs>;
}

/**
 * `sweeplab run <file>`: validate and expand the sweep, load the data, store its trials (new ones only, so a rerun
 * resumes), train every unfinished trial on the pool, then print the leaderboard.
 */
export async function runCommand(args: RunArgs, io: Io, signal?: AbortSignal): Promise<{summary: RunSummary; exitCode: number}> {
	const {definition, source, specs} = await loadSweepInput(args.file);
	const backend = resolveBackend(args.backend);
	// The pool starts before the data is decoded, so its threads load tfjs meanwhile (warm start). Its size is
	// the most the sweep can use; a resumed sweep with fewer trials left runs fewer lanes on it.
	const poolSize = Math.max(1, Math.min(args.workers ?? defaultWorkers(backend, availableParallelism()), specs.length + (definition.method === 'tpe' ? definition.trials ?? 0 : 0)));
	const pool = createTrainPool(poolSize, {backend: args.backend});
	try {
		return await runOnPool(args, io, {definition, source, specs, backend, pool, poolSize}, signal);
	} finally {
		await pool.destroy();
	}
}

/** The rest of `run`, on a pool already warming up. */
async function runOnPool(args: RunArgs, io: Io, input: Pick<SweepInput, 'definition' | 'source' | 'specs'> & {backend: BackendName; pool: TrainPool; poolSize: number}, signal?: AbortSignal): Promise<{summary: RunSummary; exitCode: number}> {
	const {definition, source, specs, backend, pool, poolSize} = input;
	// The data is checked before the database is touched: a missing or corrupt dataset stores nothing.
	const dataset = await loadDataset(definition.dataset.name, {dataDir: args.dataDir});
	const data = splitDataset(dataset, definition.dataset);
	const store = openStore(args.db);
	try {
		const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source, file: args.file});
		const added = await store.addTrials(sweep.id, specs);
		const trials = await store.trials(sweep.id);
		// A tpe sweep stores its trials as the sampler suggests them: count those still to come.
		const toSuggest = definition.method === 'tpe' ? Math.max(0, (definition.trials ?? 0) - trials.length) : 0;
		const unfinished = trials.filter(trial => isUnfinished(trial.state)).length + toSuggest;
		const workers = Math.max(1, Math.min(poolSize, unfinished));
		const resumed = trials.length - added;
		io.stdout.write(`sweep '${definition.name}': ${trials.length + toSuggest} trials (${resumed > 0 ? `${trials.length + toSuggest - unfinished} already finished, ` : ''}${unfinished} to train) on ${definition.dataset.name} · backend ${args.backend === 'auto' ? `auto (${backend})` : backend} · ${workers} worker${workers === 1 ? '' : 's'} · db ${showDb(args.db)}\n`);

		const keys = sweptKeys(definition);
		const progress = new ProgressPrinter(io, {keys, workers, trials, planned: {trials: toSuggest, epochs: definition.base.epochs}});
		let summary: RunSummary;
		try {
			summary = await runSweep({
				store,
				sweep,
				data,
				shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses},
				pool,
				workers,
				backend: args.backend,
				signal,
				retries: args.retries,
				onEvent: event => {
					progress.handle(event);
				},
			});
		} finally {
			progress.finish();
		}

		const best = await bestCommand({db: args.db, verbose: args.verbose, sweep: definition.name, top: 10, sort: 'accuracy', margin: DEFAULT_MARGIN * 100, json: false});
		io.stdout.write(`\n${renderBest(best)}\n`);
		const ended = Object.entries(summary.ended).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || 'nothing to train';
		io.stdout.write(`${ended} in ${formatSeconds(summary.wallSeconds)}. Every epoch is in ${showDb(args.db)}; see sweeplab best ${definition.name} / sweeplab report ${definition.name}\n`);
		if (summary.interrupted) {
			io.stderr.write(`sweeplab: interrupted; finished trials and their epochs are saved. Resume with: sweeplab run ${args.file} --db ${showDb(args.db)}\n`);
			return {summary, exitCode: EXIT_INTERRUPTED};
		}

		return {summary, exitCode: 0};
	} finally {
		await store.close();
	}
}
