/**
 * A multi-objective sweep judged by a one-metric pruner (median, asha) through a weighted sum of its objectives,
 * when the sweep file asks for it (`pruner: {kind: asha, scalarize: {weights: [0.7, 0.3]}}`).
 *
 * At a step k, each objective is read as a pruner reads a metric (a metric's value at k, or its best by k; a cost
 * as the trial had it by k: the seconds of its steps so far, their mean, its parameter count), oriented so that
 * higher is better, and scaled to [0, 1] between the worst and the best reading at k of the trials that have
 * reached k (so weights need no units; an objective on which they all agree adds nothing). The score is the
 * weighted mean of the scaled values; a trial with a value missing or not finite scores -Infinity, below all.
 */
import {isCostObjective, type MetricSpec} from '../types.js';
import {objectiveValueBy, orientedValue} from '../util/objectives.js';
import {hasStep, type PrunerTrial, type StepReader} from './trial.js';

type Mode = 'at' | 'best';

export class ScalarizedReader implements StepReader {
	readonly metric: MetricSpec;
	private readonly bounds = new Map<string, Array<{low: number; high: number}>>();
	private readonly total: number;

	/** `trials`: every trial the pruner may compare (the judged one and its peers), for the scales. */
	constructor(private readonly objectives: readonly MetricSpec[], private readonly weights: readonly number[], private readonly trials: readonly PrunerTrial[]) {
		this.metric = {name: `score(${objectives.map((objective, i) => `${weights[i]} ${objective.name}`).join(' + ')})`, goal: 'maximize'};
		this.total = weights.reduce((sum, weight) => sum + weight, 0);
	}

	at(trial: PrunerTrial, step: number): number {
		return hasStep(trial, step) ? this.score(trial, step, 'at') : Number.NEGATIVE_INFINITY;
	}

	bestSoFar(trial: PrunerTrial, step: number): number {
		return trial.steps.some(record => record.step <= step) ? this.score(trial, step, 'best') : Number.NEGATIVE_INFINITY;
	}

	format(score: number): string {
		return Number.isFinite(score) ? score.toFixed(3) : 'NaN';
	}

	private score(trial: PrunerTrial, step: number, mode: Mode): number {
		const readings = this.readings(trial, step, mode);
		const bounds = this.boundsAt(step, mode);
		let sum = 0;
		for (const [index, value] of readings.entries()) {
			if (!Number.isFinite(value)) {
				return Number.NEGATIVE_INFINITY;
			}

			const {low, high} = bounds[index];
			sum += this.weights[index] * (high > low ? (value - low) / (high - low) : 0);
		}

		return sum / this.total;
	}

	/** Oriented readings of each objective at the step; a metric `at` the step is that step's value, `best` its best so far. */
	private readings(trial: PrunerTrial, step: number, mode: Mode): number[] {
		return this.objectives.map(objective => {
			const value = mode === 'at' && !isCostObjective(objective.name)
				? trial.steps.find(record => record.step === step)?.metrics[objective.name] ?? Number.NaN
				: objectiveValueBy(objective, trial, step);
			return orientedValue(objective, value);
		});
	}

	private boundsAt(step: number, mode: Mode): Array<{low: number; high: number}> {
		const key = `${mode}:${step}`;
		let bounds = this.bounds.get(key);
		if (!bounds) {
			bounds = this.objectives.map(() => ({low: Number.POSITIVE_INFINITY, high: Number.NEGATIVE_INFINITY}));
			for (const trial of this.trials.filter(candidate => hasStep(candidate, step))) {
				for (const [index, value] of this.readings(trial, step, mode).entries()) {
					if (Number.isFinite(value)) {
						bounds[index].low = Math.min(bounds[index].low, value);
						bounds[index].high = Math.max(bounds[index].high, value);
					}
				}
			}

			this.bounds.set(key, bounds);
		}

		return bounds;
	}
}
