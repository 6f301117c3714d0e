/**
 * What a pruner sees of a trial and its peers, and the readings of their epochs every pruner shares.
 *
 * The objective is validation accuracy, higher is better; a NaN accuracy (a diverged epoch) counts as worse
 * than any number.
 */
import type {EpochRecord} from '../types.js';

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

// NaN ranks below every number; -Infinity keeps comparisons and sorting plain.
function score(accuracy: number): number {
	return Number.isNaN(accuracy) ? Number.NEGATIVE_INFINITY : accuracy;
}

export function currentEpoch(trial: PrunerTrial): number | undefined {
	let latest: number | undefined;
	for (const record of trial.epochs) {
		if (latest === undefined || record.epoch > latest) {
			latest = record.epoch;
		}
	}
	return latest;
}

export function hasEpoch(trial: PrunerTrial, epoch: number): boolean {
	return trial.epochs.some((record) => record.epoch === epoch);
}

export function accuracyAt(trial: PrunerTrial, epoch: number): number {
	const record = trial.epochs.find((r) => r.epoch === epoch);
	return record === undefined ? Number.NEGATIVE_INFINITY : score(record.valAccuracy);
}

export function bestSoFar(trial: PrunerTrial, epoch: number): number {
	let best = Number.NEGATIVE_INFINITY;
	for (const record of trial.epochs) {
		if (record.epoch <= epoch) {
			best = Math.max(best, score(record.valAccuracy));
		}
	}
	return best;
}

export function formatAccuracy(value: number): string {
	return Number.isFinite(value) ? value.toFixed(3) : 'NaN';
}
