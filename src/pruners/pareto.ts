import type {PrunerSpec} from '../types.js';
import {currentStep, hasStep, type MetricReader, type PruneDecision, type PrunerPeer, type PrunerTrial} from './trial.js';

/**
 * Stop a trial that cannot reach the metric/time front at this point: at least minTrials completed trials
 * had, by the same epoch, both a strictly better best value of the metric and strictly fewer training seconds.
 */
export function decidePareto(spec: Extract<PrunerSpec, {kind: 'pareto'}>, read: MetricReader, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentStep(trial);
	if (epoch === undefined || epoch <= spec.warmupEpochs) {
		return {prune: false};
	}
	const accuracy = read.bestSoFar(trial, epoch);
	const seconds = secondsBy(trial, epoch);
	const better = peers
		.filter((peer) => peer.state === 'completed' && hasStep(peer, epoch))
		.map((peer) => ({accuracy: read.bestSoFar(peer, epoch), seconds: secondsBy(peer, epoch)}))
		.filter((peer) => peer.accuracy > accuracy && peer.seconds < seconds);
	if (better.length < spec.minTrials) {
		return {prune: false};
	}
	const fastest = better.reduce((a, b) => (b.seconds < a.seconds ? b : a));
	return {
		prune: true,
		reason: `${read.metric.name} ${read.format(accuracy)} after ${formatSeconds(seconds)} by epoch ${epoch}: ${better.length} completed trials were both better and faster by then (e.g. ${read.format(fastest.accuracy)} after ${formatSeconds(fastest.seconds)}; needs ${spec.minTrials})`,
	};
}

/** Cumulative training seconds through `epoch`; a missing or non-finite time counts as slowest. */
function secondsBy(trial: PrunerTrial, epoch: number): number {
	let sum = 0;
	for (const record of trial.steps) {
		if (record.step <= epoch) {
			sum += record.seconds !== undefined && Number.isFinite(record.seconds) && record.seconds >= 0 ? record.seconds : Number.POSITIVE_INFINITY;
		}
	}
	return sum;
}

function formatSeconds(value: number): string {
	return Number.isFinite(value) ? `${value.toFixed(1)} s` : 'unknown seconds';
}
