/**
 * Everything a report needs about one sweep, read from the store in one place.
 */
import {UsageError} from '../errors.js';
import type {RankedConfig, StepSummary, Store, StoredStep, SweepRecord, TrialRecord} from '../store/store.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import {type MetricSpec, sweepMetric, type TrialParams} from '../types.js';
import {objectiveFront, type ObjectiveFront} from './front.js';
import {needsReplay, stepsByTrial, testedSpreads} from './leaderboard.js';
import {rankQuery, type RankedRow, type Tradeoff, tradeoffOf} from './ranking.js';

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
	/** A multi-objective sweep's front; its rows' `pareto` flags and `knee` are then those of this front. */
	front?: ObjectiveFront;
}

export interface SweepData extends SweepRanking {
	steps: StoredStep[];
}

/**
 * Read a sweep with every config ranked by the store (Store.rankConfigs, from the step summaries it keeps, without
 * reading a step): what `best` and the reports show; the dashboard asks the store for the same ranking a page at a
 * time (src/serve/model.ts).
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
	const {objectives} = sweep.definition;
	const {configs} = await store.rankConfigs(sweep.id, rankQuery(metric, {kind: 'all'}, options.margin));
	// Steps are read only for what the summaries do not hold: a front's objectives (each completed trial's), and
	// the tested epoch of trials recorded before the trainer reported test_epoch (early stopping replayed).
	const needed = trials.filter(trial => (objectives ? trial.state === 'completed' : needsReplay(trial))).map(trial => trial.id);
	const steps = needed.length > 0 ? await store.trialSteps(needed) : [];
	replayTested(configs, trials, summaries, stepsByTrial(steps), metric);
	const result = tradeoffOf(configs, metric, options.margin);
	const front = objectives ? objectiveFront(objectives, trials, steps) : undefined;
	return {
		sweep,
		trials,
		summaries,
		metric,
		keys,
		label: config => describeConfig(config, keys, sweep.definition.parameters),
		result: front ? onFront(result, front) : result,
		...(front && {front}),
	};
}

/**
 * The tested epoch and the metric there of the configs that have trials recorded before the trainer reported
 * test_epoch (RankedConfig.replayed; the store's rows leave those trials out): early stopping replayed on their
 * steps (`histories` holds at least theirs), in place. Databases written since hold none.
 */
export function replayTested(configs: readonly RankedConfig[], trials: readonly TrialRecord[], summaries: ReadonlyMap<number, StepSummary>, histories: ReadonlyMap<number, readonly StoredStep[]>, metric: MetricSpec): void {
	const replayed = new Set(configs.filter(config => config.replayed > 0).map(config => config.row.configHash));
	if (replayed.size === 0) {
		return;
	}

	for (const config of configs.filter(config => replayed.has(config.row.configHash))) {
		const completed = trials.filter(trial => trial.configHash === config.row.configHash && trial.state === 'completed');
		Object.assign(config.row, testedSpreads(completed, summaries, histories, metric));
	}
}

/** rankSweep with every step of the sweep, for the charts of a report. */
export async function readSweep(store: Store, name: string, options: {margin?: number; db?: string} = {}): Promise<SweepData> {
	const ranking = await rankSweep(store, name, options);
	return {...ranking, steps: await store.steps(ranking.sweep.id)};
}

/** The ranking with the Pareto flags and the knee of the sweep's own objectives instead of metric against time. */
export function onFront(result: Tradeoff, front: ObjectiveFront): Tradeoff {
	// In place: mostAccurate and the others are these same row objects.
	frontFlags(result.rows, front);
	return {...result, knee: result.rows.find(row => row.configHash === front.knee)};
}

/** Set each row's `pareto` flag to its config's place on a multi-objective sweep's front, in place. */
export function frontFlags(rows: readonly RankedRow[], front: ObjectiveFront): void {
	const ranks = new Map(front.points.map(point => [point.configHash, point.rank]));
	for (const row of rows) {
		row.pareto = ranks.get(row.configHash) === 1;
	}
}
