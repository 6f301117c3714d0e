import {currentStep, hasStep, type StepReader, type PruneDecision, type PrunerPeer, type PrunerTrial} from './trial.js';

/** What ASHA's rungs are made of; hyperband runs one such ladder per bracket, with a later first rung each. */
export interface RungLadder {
	minEpochs: number;
	maxEpochs: number;
	reductionFactor: number;
}

/** The epochs at which ASHA decides: minEpochs * reductionFactor^i, below maxEpochs (a trial at maxEpochs is done anyway). */
export function ashaRungs(spec: RungLadder): number[] {
	const rungs: number[] = [];
	for (let rung = spec.minEpochs; rung < spec.maxEpochs; rung *= spec.reductionFactor) {
		rungs.push(rung);
	}
	return rungs;
}

/**
 * Asynchronous successive halving as Optuna's SuccessiveHalvingPruner decides it: at a rung, keep the trial
 * when its value of the metric at that epoch is among the best max(1, floor(n / reductionFactor)) of the n trials that
 * have reached the rung (itself included), whatever their state now: a pruned trial still reached the rung.
 * Ties with the cut-off survive. The first trial at a rung always goes on, so early trials are never starved.
 */
export function decideAsha(spec: RungLadder, read: StepReader, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentStep(trial);
	if (epoch === undefined || !ashaRungs(spec).includes(epoch)) {
		return {prune: false};
	}
	const value = read.at(trial, epoch);
	const competing = [value, ...peers.filter((peer) => hasStep(peer, epoch)).map((peer) => read.at(peer, epoch))];
	competing.sort((a, b) => b - a);
	const keep = Math.max(1, Math.floor(competing.length / spec.reductionFactor));
	const cutoff = competing[keep - 1];
	if (value < cutoff) {
		return {
			prune: true,
			reason: `${read.metric.name} ${read.format(value)} at rung epoch ${epoch} not in the top ${keep} of ${competing.length} trials there (1/${spec.reductionFactor}; cut-off ${read.format(cutoff)})`,
		};
	}
	return {prune: false};
}
