/**
 * Everything a report needs about one sweep, read from the store in one place.
 */
import {UsageError} from '../errors.js';
import type {StepSummary, Store, StoredStep, SweepRecord, TrialRecord} from '../store/store.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import {type MetricSpec, sweepMetric, type TrialParams} from '../types.js';
import {configRows} from './leaderboard.js';
import {type Tradeoff, tradeoff} from './ranking.js';

/** A sweep ranked: its trials and the configs' rows, without the steps. */
export interface SweepRanking {
	sweep: SweepRecord;
	trials: TrialRecord[];
	/** Each finished trial's step summary, by trial id (the store keeps them; see StepSummary). */
	summaries: Map<number, StepSummary>;
	/** What the sweep ranks by. */
	metric: MetricSpec;
	keys: string[];
	/** The swept values of a config, e.g. `activation=relu learningRate=0.001`. */
	label: (config: TrialParams) => string;
	result: Tradeoff;
}

export interface SweepData extends SweepRanking {
	steps: StoredStep[];
}

/**
 * Read a sweep and rank its configs from the step summaries the store keeps: what `best`, the report and the
 * dashboard all rank with, without reading a step.
 * @throws UsageError when the database has no sweep of that name (the message lists the ones it has).
 */
export async function rankSweep(store: Store, name: string, options: {margin?: number; db?: string} = {}): Promise<SweepRanking> {
	const sweep = await store.getSweep(name);
	if (!sweep) {
		const names = (await store.listSweeps()).map(status => status.sweep.name);
		throw new UsageError(
			`no sweep named "${name}" in ${options.db ?? 'the database'}; ${names.length > 0 ? `it has: ${names.join(', ')}` : 'it has no sweeps yet (run one with sweeplab run <file>)'}`,
		);
	}

	const trials = await store.trials(sweep.id);
	const summaries = new Map((await store.stepSummaries(sweep.id)).map(summary => [summary.trialId, summary]));
	const keys = sweptKeys(sweep.definition);
	const metric = sweepMetric(sweep.definition);
	return {
		sweep,
		trials,
		summaries,
		metric,
		keys,
		label: config => describeConfig(config, keys),
		result: tradeoff(configRows(trials, summaries, metric), {margin: options.margin, metric}),
	};
}

/** rankSweep with every step of the sweep, for the charts of a report. */
export async function readSweep(store: Store, name: string, options: {margin?: number; db?: string} = {}): Promise<SweepData> {
	const ranking = await rankSweep(store, name, options);
	return {...ranking, steps: await store.steps(ranking.sweep.id)};
}
