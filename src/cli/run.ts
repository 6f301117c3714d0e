import type {Argv} from 'yargs';
import {DEFAULT_MARGIN} from '../report/ranking.js';
import type {RunSummary} from '../run/loop.js';
import {trialsToSuggest} from '../samplers/next.js';
import {definitionHash} from '../sweep/hash.js';
import {isUnfinished} from '../types.js';
import {bestOf, renderBest} from './best.js';
import {formatSeconds, type Io, openStore, showDb} from './common.js';
import {loadSweepInput} from './sweep-input.js';
import {expectedSteps} from '../sweep/describe.js';
import {describeEnded, describeHost, describeWork, EXIT_INTERRUPTED, loadSweepData, sweepRunner, type TrainArgs, trainOptions, trainSweep, withPool} from './train-options.js';

export interface RunArgs extends TrainArgs {
	file: string;
}

export function runBuilder(yargs: Argv): Argv<RunArgs> {
	return trainOptions(yargs, 'Trials trained side by side')
		.positional('file', {type: 'string', demandOption: true, describe: 'Sweep file (YAML or JSON)'}) as unknown as Argv<RunArgs>;
}

/**
 * `sweeplab run <file>`: validate and expand the sweep, load the data, store its trials (new ones only, so a rerun
 * resumes), train every unfinished trial on the pool, then print the leaderboard.
 */
export async function runCommand(args: RunArgs, io: Io, signal?: AbortSignal): Promise<{summary: RunSummary; exitCode: number}> {
	const {definition, source, specs} = await loadSweepInput(args.file);
	// The pool's size is the most the sweep can use; a resumed sweep with fewer trials left runs fewer lanes on it.
	return withPool(args, {trials: specs.length + trialsToSuggest(definition), definition}, async host => {
		// The data is checked before the database is touched: a missing or corrupt dataset stores nothing.
		const data = await loadSweepData(definition, args.dataDir);
		const runner = sweepRunner(args, {definition, file: args.file}, host, data);
		const store = openStore(args.db);
		try {
			const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source, file: args.file});
			const added = await store.addTrials(sweep.id, specs);
			const trials = await store.trials(sweep.id);
			const toSuggest = trialsToSuggest(definition, trials.length);
			const unfinished = trials.filter(trial => isUnfinished(trial.state)).length + toSuggest;
			const workers = Math.max(1, Math.min(host.size, unfinished));
			const resumed = trials.length - added;
			io.stdout.write(`sweep '${definition.name}': ${trials.length + toSuggest} trials (${resumed > 0 ? `${trials.length + toSuggest - unfinished} already finished, ` : ''}${unfinished} to train) ${describeWork(definition)} · ${describeHost(args, host, workers)} · db ${showDb(args.db)}\n`);

			const summary = await trainSweep(args, io, {store, sweep, host, runner, workers, trials, planned: {trials: toSuggest, epochs: expectedSteps(definition.base)}, signal});
			const best = await bestOf(store, {db: args.db, sweep: definition.name, top: 10, sort: 'accuracy', margin: DEFAULT_MARGIN * 100});
			io.stdout.write(`\n${renderBest(best)}\n`);
			io.stdout.write(`${describeEnded(summary)} in ${formatSeconds(summary.wallSeconds)}. Every epoch is in ${showDb(args.db)}; see sweeplab best ${definition.name} / sweeplab report ${definition.name}\n`);
			if (summary.interrupted) {
				io.stderr.write(`sweeplab: interrupted; finished trials and their epochs are saved. Resume with: sweeplab run ${args.file} --db ${showDb(args.db)}\n`);
				return {summary, exitCode: EXIT_INTERRUPTED};
			}

			return {summary, exitCode: 0};
		} finally {
			await store.close();
		}
	});
}
