import type {Argv} from 'yargs';
import {UsageError} from '../errors.js';
import {askTrial} from '../run/ask-tell.js';
import {DEFAULT_LEASE_MS} from '../run/loop.js';
import type {Store, SweepRecord, TrialRecord} from '../store/store.js';
import {describeConfig, programArgs, sweptKeys} from '../sweep/describe.js';
import {definitionHash} from '../sweep/hash.js';
import {formatOf} from '../sweep/read.js';
import {type MetricSpec, sweepMetric} from '../types.js';
import {globalOptions, type GlobalArgs, openStore, showDb} from './common.js';
import {loadSweepInput} from './sweep-input.js';

export interface AskArgs extends GlobalArgs {
	sweep: string;
	json: boolean;
	leaseSeconds: number;
}

export function askBuilder(yargs: Argv): Argv<AskArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'A sweep file (creates or resumes its sweep) or the name of a sweep in the database'})
		.option('json', {type: 'boolean', default: false, describe: 'Print the trial as JSON: {trial, params, seed, args, sweep, metric}'})
		.option('lease-seconds', {type: 'number', default: DEFAULT_LEASE_MS / 1000, describe: 'A running trial silent for this long (no tell) is taken to be orphaned and handed out again'}) as unknown as Argv<AskArgs>;
}

export interface Asked {
	sweep: string;
	trial: TrialRecord;
	/** The swept values, e.g. `lr=0.001 layers=2`. */
	label: string;
	/** The parameters as `${args}` expands them. */
	args: string[];
	metric: MetricSpec;
}

/**
 * `sweeplab ask <sweep>`: claim the sweep's next trial (grid point, random draw or tpe suggestion) for a trainer
 * sweeplab does not run. Undefined when no trial is left to hand out.
 * @throws UsageError for a --lease-seconds that is not positive or a sweep the database does not have.
 */
export async function askCommand(args: AskArgs): Promise<Asked | undefined> {
	if (!(args.leaseSeconds > 0)) {
		throw new UsageError(`--lease-seconds ${args.leaseSeconds}: expected a positive number of seconds`);
	}

	// A sweep file is read (and its trials expanded) before the database is touched.
	const input = formatOf(args.sweep) ? await loadSweepInput(args.sweep) : undefined;
	const store = openStore(args.db);
	try {
		let sweep: SweepRecord;
		if (input) {
			const {definition, source, specs} = input;
			sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source, file: args.sweep});
			await store.addTrials(sweep.id, specs);
		} else {
			sweep = await findSweep(store, args.sweep, showDb(args.db));
		}

		const trial = await askTrial(store, sweep, Math.round(args.leaseSeconds * 1000));
		return trial && {
			sweep: sweep.name,
			trial,
			label: describeConfig(trial.config, sweptKeys(sweep.definition), sweep.definition.parameters),
			args: programArgs(trial.config),
			metric: sweepMetric(sweep.definition),
		};
	} finally {
		await store.close();
	}
}

/** @throws UsageError naming the sweeps the database has when `name` is not one of them. */
export async function findSweep(store: Store, name: string, db: string): Promise<SweepRecord> {
	const sweep = await store.getSweep(name);
	if (sweep) {
		return sweep;
	}

	const names = (await store.listSweeps()).map(status => status.sweep.name);
	throw new UsageError(`no sweep named "${name}" in ${db}; ${names.length > 0 ? `it has: ${names.join(', ')}` : 'it has no sweeps yet'} (pass a sweep file to create it)`);
}

/** `12 --lr=0.001 --layers=2`: the trial id, then its parameters as arguments; or the JSON form. */
export function renderAsked(asked: Asked, json: boolean): string {
	if (json) {
		return JSON.stringify({trial: asked.trial.id, params: asked.trial.config, seed: asked.trial.seed, args: asked.args, sweep: asked.sweep, metric: asked.metric});
	}

	return [String(asked.trial.id), ...asked.args].join(' ');
}
