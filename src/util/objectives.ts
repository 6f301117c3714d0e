/**
 * A trial's values of a sweep's objectives, read off what the store keeps of it: its steps' metrics and seconds,
 * its training seconds and parameter count. One reading for the sampler, the pruners and the reports, so that the
 * front `best` shows is the front the sampler pushed.
 */
import {isCostObjective, type MetricSpec, type StepRecord} from '../types.js';

export interface ObjectiveFacts {
	steps: readonly StepRecord[];
	/** The finished trial's training and validation seconds (the store's train_seconds). */
	trainSeconds?: number | null;
	/** The built-in model's parameter count (the store's param_count). */
	paramCount?: number | null;
}

const finite = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);

/**
 * The trial's value once it has ended; NaN when it has none. A metric: its best finite value over the steps by the
 * objective's goal (as the leaderboard ranks: final metrics reported without a step do not count). train_seconds: the trial's training seconds,
 * else the sum of its steps' seconds; seconds_per_epoch: that over its steps; params: the parameter count.
 */
export function objectiveValue(objective: MetricSpec, facts: ObjectiveFacts): number {
	if (!isCostObjective(objective.name)) {
		return bestMetric(objective, facts.steps, Number.POSITIVE_INFINITY);
	}

	return costBy(objective.name, facts, finite(facts.trainSeconds) ? facts.trainSeconds : stepSeconds(facts.steps, Number.POSITIVE_INFINITY), facts.steps.length);
}

/**
 * What the trial had by step `step`, for a pruner: a metric's best finite value so far, the seconds of the steps
 * so far (train_seconds only grows), their mean per step, the parameter count. NaN when unknown (a step without
 * seconds makes its time unknown).
 */
export function objectiveValueBy(objective: MetricSpec, facts: ObjectiveFacts, step: number): number {
	if (!isCostObjective(objective.name)) {
		return bestMetric(objective, facts.steps, step);
	}

	return costBy(objective.name, facts, stepSeconds(facts.steps, step), facts.steps.filter(record => record.step <= step).length);
}

/** The value oriented so that higher is better; a non-finite value is -Infinity, worse than any number. */
export function orientedValue(objective: MetricSpec, value: number): number {
	if (!Number.isFinite(value)) {
		return Number.NEGATIVE_INFINITY;
	}

	return objective.goal === 'minimize' ? -value : value;
}

/** Every objective turned into one to minimise (maximised ones negated), as src/util/pareto.ts takes them; NaN stays NaN. */
export function lossVector(objectives: readonly MetricSpec[], values: readonly number[]): number[] {
	return values.map((value, index) => (objectives[index].goal === 'maximize' ? -value : value));
}

function bestMetric(objective: MetricSpec, steps: readonly StepRecord[], upTo: number): number {
	let best = Number.NaN;
	for (const record of steps) {
		const value = record.metrics[objective.name];
		if (record.step <= upTo && finite(value) && (Number.isNaN(best) || (objective.goal === 'minimize' ? value < best : value > best))) {
			best = value;
		}
	}

	return best;
}

function stepSeconds(steps: readonly StepRecord[], upTo: number): number {
	let sum = 0;
	let any = false;
	for (const record of steps) {
		if (record.step <= upTo) {
			if (!finite(record.seconds) || record.seconds < 0) {
				return Number.NaN;
			}

			sum += record.seconds;
			any = true;
		}
	}

	return any ? sum : Number.NaN;
}

function costBy(name: string, facts: ObjectiveFacts, seconds: number, steps: number): number {
	switch (name) {
		case 'train_seconds': {
			return seconds;
		}

		case 'seconds_per_epoch': {
			return steps > 0 ? seconds / steps : Number.NaN;
		}

		default: {
			return finite(facts.paramCount) ? facts.paramCount : Number.NaN;
		}
	}
}
