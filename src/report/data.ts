/**
 * Everything a report needs about one sweep, read from the store in one place.
 */
import {UsageError} from '../errors.js';
import type {Store, StoredStep, SweepRecord, TrialRecord} from '../store/store.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import {type MetricSpec, sweepMetric, type TrialParams} from '../types.js';
import {leaderboard} from './leaderboard.js';
import {type Tradeoff, tradeoff} from './ranking.js';

export interface SweepData {
	sweep: SweepRecord;
	trials: TrialRecord[];
	steps: StoredStep[];
	/** What the sweep ranks by. */
	metric: MetricSpec;
	keys: string[];
	/** The swept values of a config, e.g. `activation=relu learningRate=0.001`. */
	label: (config: TrialParams) => string;
	result: Tradeoff;
}

/**
 * Read a sweep and rank its configs.
 * @throws UsageError when the database has no sweep of that name (the message lists the ones it has).
 */
export async function readSweep(store: Store, name: string, options: {margin?: number; db?: string} = {}): Promise<SweepData> {
	const sweep = await store.getSweep(name);
	if (!sweep) {
		const names = (await store.listSweeps()).map(status => status.sweep.name);
		throw new UsageError(
			`no sweep named "${name}" in ${options.db ?? 'the database'}; ${names.length > 0 ? `it has: ${names.join(', ')}` : 'it has no sweeps yet (run one with sweeplab run <file>)'}`,
		);
	}

	const trials = await store.trials(sweep.id);
	const steps = await store.steps(sweep.id);
	const keys = sweptKeys(sweep.definition);
	const metric = sweepMetric(sweep.definition);
	return {
		sweep,
		trials,
		steps,
		metric,
		keys,
		label: config => describeConfig(config, keys),
		result: tradeoff(leaderboard(trials, steps, metric), {margin: options.margin, metric}),
	};
}
