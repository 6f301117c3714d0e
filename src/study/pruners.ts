/**
 * Pruners: after each epoch of a running trial, whether to stop it now given the epochs of the other trials
 * of the sweep. Pure functions of epoch histories, as Optuna's pruners are of intermediate values; the run
 * loop reads the histories from the store and records a pruned trial with the reason.
 *
 * The objective is validation accuracy, higher is better; a NaN accuracy (a diverged epoch) counts as worse
 * than any number.
 */
import type {EpochRecord, PrunerSpec} from '../types.js';

export type {PrunerSpec} from '../types.js';
export {PRUNER_KINDS} from '../types.js';
export type PrunerKind = PrunerSpec['kind'];

/**
 * Defaults for keys a sweep file leaves out. Like Optuna's MedianPruner, wait for 5 completed trials; the
 * first epoch is too noisy to judge, so warm-up is 1 epoch (Optuna: 0 steps). Rungs start at 1 epoch as in
 * Optuna and Ray; their reduction factor is 4, but a sweep of a dozen trials keeps more evidence with 3.
 * ASHA's maxEpochs has no constant default: use the trial's `epochs`.
 */
export const PRUNER_DEFAULTS = {
	median: {warmupEpochs: 1, minTrials: 5},
	asha: {minEpochs: 1, reductionFactor: 3},
	pareto: {warmupEpochs: 1, minTrials: 1},
} as const;

export type PruneDecision = {prune: false} | {prune: true; reason: string};

export interface PrunerTrial {
	id: number;
	/** The epochs recorded so far; the latest one is the epoch just finished. */
	epochs: EpochRecord[];
}

export interface PrunerPeer extends PrunerTrial {
	/** A TrialState; only 'completed' peers count for median and pareto, every peer with the epoch for asha. */
	state: string;
}

export interface PrunerSpecProblem {
	/** The key under `pruner:` that is wrong. */
	key: string;
	message: string;
}

/** What is wrong with a spec, as key + message for the sweep-file validator to report; empty when it is fine. */
export function prunerSpecProblems(spec: PrunerSpec): PrunerSpecProblem[] {
	const problems: PrunerSpecProblem[] = [];
	const wholeAtLeast = (key: string, value: number, min: number): void => {
		if (!Number.isInteger(value) || value < min) {
			problems.push({key, message: `must be a whole number >= ${min}, got ${value}`});
		}
	};
	switch (spec.kind) {
		case 'median':
		case 'pareto': {
			wholeAtLeast('warmupEpochs', spec.warmupEpochs, 0);
			wholeAtLeast('minTrials', spec.minTrials, 1);
			break;
		}
		case 'asha': {
			wholeAtLeast('minEpochs', spec.minEpochs, 1);
			wholeAtLeast('maxEpochs', spec.maxEpochs, 1);
			wholeAtLeast('reductionFactor', spec.reductionFactor, 2);
			if (problems.length === 0 && spec.maxEpochs <= spec.minEpochs) {
				problems.push({key: 'maxEpochs', message: `must be greater than minEpochs ${spec.minEpochs}, got ${spec.maxEpochs} (no rung would prune)`});
			}
			break;
		}
	}
	return problems;
}

/**
 * Call after each epoch of a running trial. `others` may include the trial itself (matched by id and ignored).
 * @throws RangeError for a spec prunerSpecProblems rejects: the sweep file is validated before any trial runs.
 */
export function decidePrune(spec: PrunerSpec, trial: PrunerTrial, others: readonly PrunerPeer[]): PruneDecision {
	const problems = prunerSpecProblems(spec);
	if (problems.length > 0) {
		throw new RangeError(`decidePrune: pruner ${spec.kind}: ${problems.map((p) => `${p.key} ${p.message}`).join('; ')}`);
	}
	const peers = others.filter((other) => other.id !== trial.id);
	switch (spec.kind) {
		case 'median': {
			return decideMedian(spec, trial, peers);
		}
		case 'asha': {
			return decideAsha(spec, trial, peers);
		}
		case 'pareto': {
			return decidePareto(spec, trial, peers);
		}
	}
}

/** The epochs at which ASHA decides: minEpochs * reductionFactor^i, below maxEpochs (a trial at maxEpochs is done anyway). */
export function ashaRungs(spec: {minEpochs: number; maxEpochs: number; reductionFactor: number}): number[] {
	const rungs: number[] = [];
	for (let rung = spec.minEpochs; rung < spec.maxEpochs; rung *= spec.reductionFactor) {
		rungs.push(rung);
	}
	return rungs;
}

/**
 * Optuna's MedianPruner, except that completed trials also enter with their best-so-far at epoch k (Optuna
 * takes their raw value at k): one noisy epoch of a good trial should not lower the bar. A tie with the median survives.
 */
function decideMedian(spec: Extract<PrunerSpec, {kind: 'median'}>, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentEpoch(trial);
	if (epoch === undefined || epoch <= spec.warmupEpochs) {
		return {prune: false};
	}
	const completed = peers.filter((peer) => peer.state === 'completed' && hasEpoch(peer, epoch));
	if (completed.length < spec.minTrials) {
		return {prune: false};
	}
	const value = bestSoFar(trial, epoch);
	const bar = median(completed.map((peer) => bestSoFar(peer, epoch)));
	if (value < bar) {
		return {
			prune: true,
			reason: `best val_accuracy ${formatAccuracy(value)} by epoch ${epoch} below the median ${formatAccuracy(bar)} of ${completed.length} completed trials at that epoch`,
		};
	}
	return {prune: false};
}

/**
 * Asynchronous successive halving as Optuna's SuccessiveHalvingPruner decides it: at a rung, keep the trial
 * when its accuracy at that epoch is among the best max(1, floor(n / reductionFactor)) of the n trials that
 * have reached the rung (itself included), whatever their state now: a pruned trial still reached the rung.
 * Ties with the cut-off survive. The first trial at a rung always goes on, so early trials are never starved.
 */
function decideAsha(spec: Extract<PrunerSpec, {kind: 'asha'}>, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentEpoch(trial);
	if (epoch === undefined || !ashaRungs(spec).includes(epoch)) {
		return {prune: false};
	}
	const value = accuracyAt(trial, epoch);
	const competing = [value, ...peers.filter((peer) => hasEpoch(peer, epoch)).map((peer) => accuracyAt(peer, epoch))];
	competing.sort((a, b) => b - a);
	const keep = Math.max(1, Math.floor(competing.length / spec.reductionFactor));
	const cutoff = competing[keep - 1];
	if (value < cutoff) {
		return {
			prune: true,
			reason: `val_accuracy ${formatAccuracy(value)} at rung epoch ${epoch} not in the top ${keep} of ${competing.length} trials there (1/${spec.reductionFactor}; cut-off ${formatAccuracy(cutoff)})`,
		};
	}
	return {prune: false};
}

/**
 * Stop a trial that cannot reach the accuracy/time front at this point: at least minTrials completed trials
 * had, by the same epoch, both a strictly higher best validation accuracy and strictly fewer training seconds.
 */
function decidePareto(spec: Extract<PrunerSpec, {kind: 'pareto'}>, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentEpoch(trial);
	if (epoch === undefined || epoch <= spec.warmupEpochs) {
		return {prune: false};
	}
	const accuracy = bestSoFar(trial, epoch);
	const seconds = secondsBy(trial, epoch);
	const better = peers
		.filter((peer) => peer.state === 'completed' && hasEpoch(peer, epoch))
		.map((peer) => ({accuracy: bestSoFar(peer, epoch), seconds: secondsBy(peer, epoch)}))
		.filter((peer) => peer.accuracy > accuracy && peer.seconds < seconds);
	if (better.length < spec.minTrials) {
		return {prune: false};
	}
	const fastest = better.reduce((a, b) => (b.seconds < a.seconds ? b : a));
	return {
		prune: true,
		reason: `val_accuracy ${formatAccuracy(accuracy)} after ${formatSeconds(seconds)} by epoch ${epoch}: ${better.length} completed trials were both more accurate and faster by then (e.g. ${formatAccuracy(fastest.accuracy)} after ${formatSeconds(fastest.seconds)}; needs ${spec.minTrials})`,
	};
}

// NaN ranks below every number; -Infinity keeps comparisons and sorting plain.
function score(accuracy: number): number {
	return Number.isNaN(accuracy) ? Number.NEGATIVE_INFINITY : accuracy;
}

function currentEpoch(trial: PrunerTrial): number | undefined {
	let latest: number | undefined;
	for (const record of trial.epochs) {
		if (latest === undefined || record.epoch > latest) {
			latest = record.epoch;
		}
	}
	return latest;
}

function hasEpoch(trial: PrunerTrial, epoch: number): boolean {
	return trial.epochs.some((record) => record.epoch === epoch);
}

function accuracyAt(trial: PrunerTrial, epoch: number): number {
	const record = trial.epochs.find((r) => r.epoch === epoch);
	return record === undefined ? Number.NEGATIVE_INFINITY : score(record.valAccuracy);
}

function bestSoFar(trial: PrunerTrial, epoch: number): number {
	let best = Number.NEGATIVE_INFINITY;
	for (const record of trial.epochs) {
		if (record.epoch <= epoch) {
			best = Math.max(best, score(record.valAccuracy));
		}
	}
	return best;
}

/** Cumulative training seconds through `epoch`; a missing or non-finite time counts as slowest. */
function secondsBy(trial: PrunerTrial, epoch: number): number {
	let sum = 0;
	for (const record of trial.epochs) {
		if (record.epoch <= epoch) {
			sum += Number.isFinite(record.seconds) && record.seconds >= 0 ? record.seconds : Number.POSITIVE_INFINITY;
		}
	}
	return sum;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	if (sorted.length % 2 === 1) {
		return sorted[middle];
	}
	const [low, high] = [sorted[middle - 1], sorted[middle]];
	// (-Infinity + x) / 2 is -Infinity, which is right: half the trials were no better than NaN.
	return (low + high) / 2;
}

function formatAccuracy(value: number): string {
	return Number.isFinite(value) ? value.toFixed(3) : 'NaN';
}

function formatSeconds(value: number): string {
	return Number.isFinite(value) ? `${value.toFixed(1)} s` : 'unknown seconds';
}
