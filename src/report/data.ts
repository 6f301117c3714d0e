/**
 * Everything a report needs about one sweep, read from the store in one place.
 */
import {UsageError} from '../errors.js';
import type {Store, StoredStep, SweepRecord, TrialRecord} from '../store/store.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import {type MetricSpec, sweepMetric, type TrialParams} from '../types.js';
import {objectiveFront, type ObjectiveFront} from './front.js';
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
	/** A multi-objective sweep's front; its rows' `pareto` flags and `knee` are then those of this front. */
	front?: ObjectiveFront;
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
	const result = tradeoff(leaderboard(trials, steps, metric), {margin: options.margin, metric});
	const {objectives} = sweep.definition;
	const front = objectives ? objectiveFront(objectives, trials, steps) : undefined;
	return {
		sweep,
		trials,
		steps,
		metric,
		keys,
		label: config => describeConfig(config, keys),
		result: front ? onFront(result, front) : result,
		...(front && {front}),
	};
}

/** The ranking with the Pareto flags and the knee of the sweep's own objectives instead of metric against time. */
function onFront(result: Tradeoff, front: ObjectiveFront): Tradeoff {
	const ranks = new Map(front.points.map(point => [point.configHash, point.rank]));
	// In place: mostAccurate and the others are these same row objects.
	for (const row of result.rows) {
		row.pareto = ranks.get(row.configHash) === 1;
	}

	return {...result, knee: result.rows.find(row => row.configHash === front.knee)};
}
