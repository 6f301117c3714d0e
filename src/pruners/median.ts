import type {PrunerSpec} from '../types.js';
import {currentStep, hasStep, type StepReader, type PruneDecision, type PrunerPeer, type PrunerTrial} from './trial.js';

/**
 * Optuna's MedianPruner, except that completed trials also enter with their best-so-far at step k (Optuna
 * takes their raw value at k): one noisy step of a good trial should not lower the bar. A tie with the median survives.
 */
export function decideMedian(spec: Extract<PrunerSpec, {kind: 'median'}>, read: StepReader, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const step = currentStep(trial);
	if (step === undefined || step <= spec.warmupEpochs) {
		return {prune: false};
	}
	const completed = peers.filter((peer) => peer.state === 'completed' && hasStep(peer, step));
	if (completed.length < spec.minTrials) {
		return {prune: false};
	}
	const value = read.bestSoFar(trial, step);
	const bar = median(completed.map((peer) => read.bestSoFar(peer, step)));
	if (value < bar) {
		return {
			prune: true,
			reason: `best ${read.metric.name} ${read.format(value)} by epoch ${step} ${read.metric.goal === 'maximize' ? 'below' : 'above'} the median ${read.format(bar)} of ${completed.length} completed trials at that epoch`,
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
