import type {ConfigRow, Spread, StepSummary, StoredStep, TrialRecord} from '../store/store.js';
import {testedEpoch} from '../train/early-stopping.js';
import {builtinConfig, type MetricSpec} from '../types.js';
import {convergedEpoch} from './convergence.js';

export type {ConfigRow, Spread} from '../store/store.js';

export function spread(values: number[]): Spread {
	const finite = values.filter(value => Number.isFinite(value));
	const n = finite.length;
	if (n === 0) {
		return {mean: Number.NaN, std: Number.NaN, n};
	}

	const mean = finite.reduce((sum, value) => sum + value, 0) / n;
	const variance = n > 1 ? finite.reduce((sum, value) => sum + ((value - mean) ** 2), 0) / (n - 1) : 0;
	return {mean, std: Math.sqrt(variance), n};
}

/** `a` is a better value of the metric than `b` (both finite). */
export const better = (metric: MetricSpec, a: number, b: number): boolean => (metric.goal === 'minimize' ? a < b : a > b);

/** The metric oriented so that higher is better, a non-finite value lowest: for sorting and comparing. */
export function score(metric: MetricSpec, value: number): number {
	if (!Number.isFinite(value)) {
		return Number.NEGATIVE_INFINITY;
	}

	return metric.goal === 'minimize' ? -value : value;
}

/** Index of the step with the best finite value of the metric (the first on ties), or -1. */
export function bestStepIndex(steps: ReadonlyArray<{metrics: Record<string, number>}>, metric: MetricSpec): number {
	let best = -1;
	for (const [i, step] of steps.entries()) {
		const value = step.metrics[metric.name];
		if (value !== undefined && Number.isFinite(value) && (best < 0 || better(metric, value, steps[best].metrics[metric.name]))) {
			best = i;
		}
	}

	return best;
}

/** Each trial's steps in step order. */
export function stepsByTrial(steps: readonly StoredStep[]): Map<number, StoredStep[]> {
	const byTrial = new Map<number, StoredStep[]>();
	for (const step of steps) {
		const list = byTrial.get(step.trialId) ?? [];
		list.push(step);
		byTrial.set(step.trialId, list);
	}

	for (const list of byTrial.values()) {
		list.sort((a, b) => a.step - b.step);
	}

	return byTrial;
}

/** Validation losses by epoch, as convergence reads them (a step without val_loss never converges). */
export const lossHistory = (history: readonly StoredStep[]) => history.map(step => ({epoch: step.step, valLoss: step.metrics.val_loss ?? Number.NaN}));

/**
 * What a trial's steps come to for ranking, the rule the stores keep on each finished trial (their trial_outcome
 * view): the best finite value of the metric (the first step on ties), the converged epoch, the seconds up to the
 * best step, the metric's finite value at the trial's final metric test_epoch. For steps held in memory (tests, hand-made records); a sweep in a store is ranked from its summaries.
 */
export function summariseTrial(trial: Pick<TrialRecord, 'id' | 'finalMetrics'>, history: readonly StoredStep[], metric: MetricSpec): StepSummary {
	const index = bestStepIndex(history, metric);
	const testEpoch = trial.finalMetrics.test_epoch;
	const tested = testEpoch === undefined ? undefined : history.find(step => step.step === testEpoch)?.metrics[metric.name];
	const best = index < 0 ? undefined : history[index];
	const timed = history.flatMap(step => (step.seconds !== undefined && Number.isFinite(step.seconds) ? [step.seconds] : []));
	return {
		trialId: trial.id,
		bestValue: best?.metrics[metric.name] ?? null,
		bestStep: best?.step ?? null,
		convergedStep: convergedEpoch(lossHistory(history)) ?? null,
		secondsToBest: best === undefined ? null : secondsUpTo(history, best.step),
		stepSeconds: timed.reduce((sum, seconds) => sum + seconds, 0),
		timedSteps: timed.length,
		testedValue: tested !== undefined && Number.isFinite(tested) ? tested : null,
	};
}

/** summariseTrial of every trial that has steps, by trial id. */
export function summariesOf(trials: readonly TrialRecord[], byTrial: ReadonlyMap<number, readonly StoredStep[]>, metric: MetricSpec): Map<number, StepSummary> {
	return new Map(trials.flatMap(trial => {
		const history = byTrial.get(trial.id);
		return history ? [[trial.id, summariseTrial(trial, history, metric)] as const] : [];
	}));
}

/**
 * Per-config rows, best first (in memory, from steps: the reference the stores' ranking queries are tested
 * against; a sweep in a store is ranked by Store.rankConfigs): ordered by the mean best value of the sweep's metric over completed trials;
 * configs with no completed trial come last.
 */
export function leaderboard(trials: readonly TrialRecord[], steps: readonly StoredStep[], metric: MetricSpec): ConfigRow[] {
	const byTrial = stepsByTrial(steps);
	return configRows(trials, summariesOf(trials, byTrial, metric), metric, byTrial);
}

/**
 * The leaderboard from each trial's step summary (a completed trial without one has no steps), and the steps of
 * the trials that needsReplay (the others' may be left out).
 */
export function configRows(trials: readonly TrialRecord[], summaries: ReadonlyMap<number, StepSummary>, metric: MetricSpec, histories: ReadonlyMap<number, readonly StoredStep[]>): ConfigRow[] {
	const groups = new Map<string, TrialRecord[]>();
	for (const trial of trials) {
		const group = groups.get(trial.configHash);
		if (group) {
			group.push(trial);
		} else {
			groups.set(trial.configHash, [trial]);
		}
	}

	const finite = (value: number | null | undefined) => value ?? Number.NaN;
	const rows = [...groups.values()].map(group => {
		const completed = group.filter(trial => trial.state === 'completed');
		const outcomes = completed.map(trial => summaries.get(trial.id));
		const states: ConfigRow['states'] = {};
		for (const trial of group) {
			states[trial.state] = (states[trial.state] ?? 0) + 1;
		}

		return {
			configHash: group[0].configHash,
			config: group[0].config,
			trials: group.length,
			completed: completed.length,
			states,
			value: spread(outcomes.map(outcome => finite(outcome?.bestValue))),
			testAccuracy: spread(completed.map(trial => trial.testAccuracy ?? Number.NaN)),
			...testedSpreads(completed, summaries, histories, metric),
			bestEpoch: spread(outcomes.map(outcome => finite(outcome?.bestStep))),
			convergedEpoch: spread(outcomes.map(outcome => finite(outcome?.convergedStep))),
			epochsRun: spread(completed.map(trial => trial.epochsRun)),
			secondsToBest: spread(outcomes.map(outcome => finite(outcome?.secondsToBest))),
			trainSeconds: spread(completed.map(trial => trial.trainSeconds ?? Number.NaN)),
			secondsPerEpoch: spread(completed.map(trial => (trial.trainSeconds ?? Number.NaN) / trial.epochsRun)),
			paramCount: group.find(trial => trial.paramCount !== null)?.paramCount ?? null,
			backends: [...new Set(group.flatMap(trial => (trial.backend ? [trial.backend] : [])))],
		} satisfies ConfigRow;
	});

	return rows.sort((a, b) => score(metric, b.value.mean) - score(metric, a.value.mean));
}

/**
 * The step whose weights a trial's test_accuracy is of: its final metric test_epoch (the built-in trainer reports
 * it), else, for a trial recorded before it did, early stopping's rule replayed on its epochs (src/train/early-stopping.ts).
 * Undefined for a trial without a test accuracy.
 */
export function testedEpochOf(trial: TrialRecord, history: readonly StoredStep[]): number | undefined {
	if (trial.finalMetrics.test_epoch !== undefined) {
		return trial.finalMetrics.test_epoch;
	}

	if (trial.testAccuracy === null) {
		return undefined;
	}

	const epochs = history.map(step => ({epoch: step.step, valLoss: step.metrics.val_loss ?? Number.NaN, valAccuracy: step.metrics.val_accuracy ?? Number.NaN}));
	return testedEpoch(builtinConfig(trial.config).earlyStopping, epochs);
}

/**
 * The tested epoch and the metric there over a config's completed trials (testedEpochOf; the histories of the
 * trials that needsReplay, the others' may be left out).
 */
export function testedSpreads(completed: readonly TrialRecord[], summaries: ReadonlyMap<number, StepSummary>, histories: ReadonlyMap<number, readonly StoredStep[]>, metric: MetricSpec): Pick<ConfigRow, 'testedEpoch' | 'testedValue'> {
	const tested = completed.map(trial => testedEpochOf(trial, histories.get(trial.id) ?? []));
	return {
		testedEpoch: spread(tested.map(epoch => epoch ?? Number.NaN)),
		testedValue: spread(completed.map((trial, i) => testedValueOf(trial, tested[i], summaries.get(trial.id), histories.get(trial.id), metric))),
	};
}

/**
 * A completed trial whose tested epoch is found by replaying early stopping on its steps (no test_epoch, a test
 * accuracy): the only trials configRows needs the steps of.
 */
export const needsReplay = (trial: TrialRecord): boolean => trial.state === 'completed' && trial.finalMetrics.test_epoch === undefined && trial.testAccuracy !== null;

/** The metric at the tested epoch: from the trial's summary when it names test_epoch, else from its steps. */
function testedValueOf(trial: TrialRecord, epoch: number | undefined, summary: StepSummary | undefined, history: readonly StoredStep[] | undefined, metric: MetricSpec): number {
	if (!needsReplay(trial)) {
		return summary?.testedValue ?? Number.NaN;
	}

	return history?.find(step => step.step === epoch)?.metrics[metric.name] ?? Number.NaN;
}

function secondsUpTo(history: readonly StoredStep[], step: number): number {
	return history.filter(record => record.step <= step && Number.isFinite(record.seconds)).reduce((sum, record) => sum + record.seconds!, 0);
}
