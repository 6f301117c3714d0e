/**
 * What a pruner sees of a trial and its peers, and the readings of their steps every pruner shares.
 *
 * Trials are judged by the sweep's metric (validation accuracy, higher is better, unless the sweep names
 * another): values are read oriented so that higher is better, and a NaN or infinite value (a diverged step)
 * counts as worse than any number. Reasons show the metric as reported.
 */
import {DEFAULT_METRIC, type MetricSpec, type StepRecord} from '../types.js';

export type PruneDecision = {prune: false} | {prune: true; reason: string};

export interface PrunerTrial {
	id: number;
	/** The trial's position in its sweep (`#n` in the output): hyperband's bracket follows from it, as Optuna's from the trial number. */
	ordinal: number;
	/** The steps (epochs) recorded so far; the latest one is the step just finished. */
	steps: StepRecord[];
	/** The built-in model's parameter count, once built: the `params` objective of a multi-objective sweep. */
	paramCount?: number | null;
}

export interface PrunerPeer extends PrunerTrial {
	/** A TrialState; only 'completed' peers count for median and pareto, every peer with the step for asha. */
	state: string;
}

/** How median and asha read a trial's value at a step (a metric, or a weighted sum of objectives): higher is better. */
export interface StepReader {
	/** What the value is, for reasons. */
	readonly metric: MetricSpec;
	at(trial: PrunerTrial, step: number): number;
	bestSoFar(trial: PrunerTrial, step: number): number;
	format(score: number): string;
}

/** Reads a metric off steps, oriented so that higher is better; -Infinity for a missing or non-finite value. */
export class MetricReader implements StepReader {
	constructor(readonly metric: MetricSpec = DEFAULT_METRIC) {}

	score(record: StepRecord): number {
		const value = record.metrics[this.metric.name];
		if (value === undefined || !Number.isFinite(value)) {
			return Number.NEGATIVE_INFINITY;
		}

		return this.metric.goal === 'minimize' ? -value : value;
	}

	at(trial: PrunerTrial, step: number): number {
		const record = trial.steps.find((r) => r.step === step);
		return record === undefined ? Number.NEGATIVE_INFINITY : this.score(record);
	}

	bestSoFar(trial: PrunerTrial, step: number): number {
		let best = Number.NEGATIVE_INFINITY;
		for (const record of trial.steps) {
			if (record.step <= step) {
				best = Math.max(best, this.score(record));
			}
		}
		return best;
	}

	/** An oriented score as the metric reads: `0.873`, or `NaN` for no finite value. */
	format(score: number): string {
		if (!Number.isFinite(score)) {
			return 'NaN';
		}

		return (this.metric.goal === 'minimize' ? -score : score).toFixed(3);
	}
}

export function currentStep(trial: PrunerTrial): number | undefined {
	let latest: number | undefined;
	for (const record of trial.steps) {
		if (latest === undefined || record.step > latest) {
			latest = record.step;
		}
	}
	return latest;
}

export function hasStep(trial: PrunerTrial, step: number): boolean {
	return trial.steps.some((record) => record.step === step);
}
