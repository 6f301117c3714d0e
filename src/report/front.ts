/**
 * A multi-objective sweep's answer: the configs no other config beats on every objective (the front, with each
 * config's non-domination rank), the knee of the front, and how the front grew over the trials (its hypervolume
 * after 10, 25, 50 and all trials).
 */
import type {StoredStep, TrialRecord} from '../store/store.js';
import type {MetricSpec} from '../types.js';
import {lossVector, objectiveValue} from '../util/objectives.js';
import {hypervolumeHistory, nondominatedRanks} from '../util/pareto.js';
import {metricValue, seconds} from './format.js';
import {score, stepsByTrial} from './leaderboard.js';
import {kneeIndex, paretoFront} from './pareto.js';
import type {RankedRow} from './ranking.js';

/** After how many trials the hypervolume is reported (and after all of them). */
export const HYPERVOLUME_CHECKPOINTS = [10, 25, 50] as const;
/** The reference point's coordinate in every objective, on the scale where the best value is 0 and the worst 1. */
export const HYPERVOLUME_REFERENCE = 1.1;

export interface FrontPoint {
	configHash: string;
	/** The mean over the config's completed trials of each objective (src/util/objectives.ts); NaN without one. */
	values: number[];
	/** 1 for the front, 2 for the front once the first is taken away, ...; null for a config without finite values. */
	rank: number | null;
}

export interface HypervolumePoint {
	/** The first `trials` trials of the sweep (by the order they were suggested or expanded), whatever their state. */
	trials: number;
	/** Of the completed ones among them, on the scale of `scale`, with the reference point HYPERVOLUME_REFERENCE in each objective. */
	hypervolume: number;
}

export interface ObjectiveFront {
	objectives: MetricSpec[];
	points: FrontPoint[];
	/** The knee's config (see kneeOf), when the front has one. */
	knee?: string;
	/**
	 * How each objective is scaled for the hypervolume: its best and worst value over the sweep's completed trials
	 * map to 0 and 1 (so the largest possible hypervolume is HYPERVOLUME_REFERENCE ^ objectives).
	 */
	scale: Array<{best: number; worst: number}>;
	hypervolume: HypervolumePoint[];
	/** The hypervolume after each trial: [i] after the first i + 1 (for the plot). */
	hypervolumeByTrial: number[];
}

/** A trial's values of the objectives; NaN for those it has none of. */
export function trialValues(objectives: readonly MetricSpec[], trial: TrialRecord, steps: readonly StoredStep[]): number[] {
	return objectives.map(objective => objectiveValue(objective, {steps, trainSeconds: trial.trainSeconds, paramCount: trial.paramCount}));
}

/**
 * The front of a sweep's configs over its objectives. Each config is one point, the mean of its completed trials;
 * the hypervolume, over trials, counts every completed trial as its own point.
 */
export function objectiveFront(objectives: readonly MetricSpec[], trials: readonly TrialRecord[], steps: readonly StoredStep[]): ObjectiveFront {
	const byTrial = stepsByTrial([...steps]);
	const completed = trials.filter(trial => trial.state === 'completed');
	const valuesOf = new Map(completed.map(trial => [trial.id, trialValues(objectives, trial, byTrial.get(trial.id) ?? [])]));
	const hashes = [...new Set(trials.map(trial => trial.configHash))];
	const points: FrontPoint[] = hashes.map(configHash => {
		const runs = completed.filter(trial => trial.configHash === configHash).map(trial => valuesOf.get(trial.id)!);
		return {configHash, values: objectives.map((_, index) => mean(runs.map(values => values[index]))), rank: null};
	});
	const losses = points.map(point => lossVector(objectives, point.values));
	const ranks = nondominatedRanks(losses);
	for (const [index, point] of points.entries()) {
		point.rank = losses[index].every(value => Number.isFinite(value)) ? ranks[index] + 1 : null;
	}

	const knee = kneeOf(objectives, points);
	const ordered = [...trials].sort((a, b) => a.ordinal - b.ordinal || a.id - b.id);
	const trialLosses = ordered.map(trial => (valuesOf.has(trial.id) ? lossVector(objectives, valuesOf.get(trial.id)!) : undefined));
	const scale = objectives.map((_, index) => {
		const column = trialLosses.flatMap(loss => (loss && Number.isFinite(loss[index]) ? [loss[index]] : []));
		return column.length === 0 ? {best: Number.NaN, worst: Number.NaN} : {best: Math.min(...column), worst: Math.max(...column)};
	});
	const scaled = trialLosses.map(loss => loss?.map((value, index) => {
		const {best, worst} = scale[index];
		return worst > best ? (value - best) / (worst - best) : 0;
	}));
	// A trial without values (not completed) adds nothing: a row of NaN.
	const series = hypervolumeHistory(scaled.map(point => point ?? objectives.map(() => Number.NaN)), objectives.map(() => HYPERVOLUME_REFERENCE));
	const counts = [...new Set([...HYPERVOLUME_CHECKPOINTS.filter(count => count < ordered.length), ordered.length])].filter(count => count > 0);
	const history = counts.map(count => ({trials: count, hypervolume: series[count - 1]}));
	return {
		objectives: [...objectives],
		points,
		...(knee !== undefined && {knee: points[knee].configHash}),
		// Objectives are reported as the sweep orients them: a maximised objective's best is its largest value.
		scale: scale.map(({best, worst}, index) => (objectives[index].goal === 'maximize' ? {best: -best, worst: -worst} : {best, worst})),
		hypervolume: history,
		hypervolumeByTrial: series,
	};
}

/**
 * The knee of the front. Two objectives: report/pareto.ts's kneeIndex, the front point farthest above the chord
 * between the front's two ends, each objective scaled to [0, 1] over the front (undefined when the front does not
 * bend). Three: the front point nearest the ideal point (every objective at its best over the front), on the same
 * scale, which is what the two-objective knee approximates; undefined with fewer than three distinct front points.
 */
export function kneeOf(objectives: readonly MetricSpec[], points: readonly FrontPoint[]): number | undefined {
	const front = points.map(point => point.rank === 1);
	const losses = points.map(point => lossVector(objectives, point.values));
	if (objectives.length === 2) {
		return kneeIndex(losses.map(([first, second]) => ({accuracy: -first, seconds: second})), front);
	}

	const members = losses.flatMap((loss, index) => (front[index] ? [{loss, index}] : []));
	if (new Set(members.map(({loss}) => loss.join(':'))).size < 3) {
		return undefined;
	}

	const bounds = objectives.map((_, k) => ({low: Math.min(...members.map(({loss}) => loss[k])), high: Math.max(...members.map(({loss}) => loss[k]))}));
	const distance = (loss: number[]) => Math.hypot(...loss.map((value, k) => (bounds[k].high > bounds[k].low ? (value - bounds[k].low) / (bounds[k].high - bounds[k].low) : 0)));
	return members.reduce((best, member) => (distance(member.loss) < distance(best.loss) ? member : best)).index;
}

function mean(values: readonly number[]): number {
	const finite = values.filter(value => Number.isFinite(value));
	return finite.length === 0 ? Number.NaN : finite.reduce((sum, value) => sum + value, 0) / finite.length;
}

/**
 * The rows with their Pareto flags of the metric against training time, as ranking.ts sets them, for the
 * accuracy-against-time chart of a multi-objective sweep (whose rows carry the flags of its own front).
 */
export function timeFrontRows(rows: readonly RankedRow[], metric: MetricSpec): RankedRow[] {
	const flags = paretoFront(rows.map(row => ({accuracy: Number.isFinite(row.value.mean) ? score(metric, row.value.mean) : Number.NaN, seconds: row.trainSeconds.mean})));
	return rows.map((row, index) => ({...row, pareto: flags[index]}));
}

/** One value of an objective as `best` and the reports show it: `85.12%`, `12.3 s`, `25,450` (parameters), `0.3120`. */
export function objectiveText(objective: MetricSpec, value: number): string {
	if (!Number.isFinite(value)) {
		return '-';
	}

	switch (objective.name) {
		case 'train_seconds':
		case 'seconds_per_epoch': {
			return seconds(value);
		}

		case 'params': {
			return Math.round(value).toLocaleString('en-US');
		}

		default: {
			return metricValue(objective, value);
		}
	}
}

/** `val_accuracy (max), train_seconds (min)`. */
export const objectivesText = (objectives: readonly MetricSpec[]): string => objectives.map(objective => `${objective.name} (${objective.goal === 'maximize' ? 'max' : 'min'})`).join(', ');

/** The front's configs in the order of their first objective, best first, with their values. */
export function frontMembers(front: ObjectiveFront): FrontPoint[] {
	const [first] = front.objectives;
	const key = (point: FrontPoint) => (first.goal === 'maximize' ? -point.values[0] : point.values[0]);
	return front.points.filter(point => point.rank === 1).sort((a, b) => key(a) - key(b));
}

/** How the knee was chosen, for the reader. */
export const kneeRule = (front: ObjectiveFront): string =>
	front.objectives.length === 2 ? 'the front point farthest above the line between its two ends' : 'the front point nearest the ideal point (every objective at its best)';

/** `after 10 trials 0.812, after 25 0.951, all 40 1.020`. */
export function hypervolumeText(front: ObjectiveFront): string {
	const total = front.hypervolume.at(-1)?.trials;
	if (total === undefined) {
		return 'none yet (no trials)';
	}

	return front.hypervolume.map(({trials, hypervolume}, index) => `${trials === total ? `all ${trials}` : index === 0 ? `after ${trials} trials` : `after ${trials}`}: ${hypervolume.toFixed(3)}`).join(', ');
}

/** What the hypervolume is measured against, in one sentence. */
export function hypervolumeScale(front: ObjectiveFront): string {
	const most = HYPERVOLUME_REFERENCE ** front.objectives.length;
	return `each objective scaled so that its best value over the completed trials is 0 and its worst 1, reference point ${HYPERVOLUME_REFERENCE} in each (${front.objectives.map((objective, index) => `${objective.name} ${objectiveText(objective, front.scale[index].best)} to ${objectiveText(objective, front.scale[index].worst)}`).join(', ')}; at most ${Number(most.toFixed(3))})`;
}
