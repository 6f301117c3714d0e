import type {PrunerSpec} from '../types.js';
import {bestSoFar, currentEpoch, formatAccuracy, hasEpoch, type PruneDecision, type PrunerPeer, type PrunerTrial} from './trial.js';

/**
 * Optuna's MedianPruner, except that completed trials also enter with their best-so-far at epoch k (Optuna
 * takes their raw value at k): one noisy epoch of a good trial should not lower the bar. A tie with the median survives.
 */
export function decideMedian(spec: Extract<PrunerSpec, {kind: 'median'}>, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
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
