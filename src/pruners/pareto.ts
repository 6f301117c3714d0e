import type {MetricSpec, PrunerSpec} from '../types.js';
import {objectiveValueBy, orientedValue} from '../util/objectives.js';
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

/**
 * A multi-objective sweep's pareto pruner: stop a trial at epoch k when at least minTrials completed trials
 * dominate it there, i.e. when it can no longer reach the front except by a change of course that pruners assume
 * does not come. Per objective, the judged trial T and a completed peer P are compared as follows:
 * - a metric that improves with training (val_accuracy, val_loss, any reported metric): T's best value by epoch k
 *   against P's best by epoch k (or by its end, when it ended sooner): T might still catch up, and like the
 *   median pruner and ASHA this assumes a trial behind at the same epoch stays behind;
 * - a cost that only grows (train_seconds): what T has spent by epoch k, a lower bound of its final cost, against
 *   P's whole cost: when P's whole run cost no more, T can never be cheaper than P, whatever it does next;
 * - a per-trial cost (params; seconds_per_epoch, T's mean so far): T's against P's.
 * P dominates T when it is at least as good on every objective and better on at least one; a missing or non-finite
 * value is worse than any number (a trial still without a time cannot be cheaper than one with a time).
 */
export function decideParetoObjectives(spec: Extract<PrunerSpec, {kind: 'pareto'}>, objectives: readonly MetricSpec[], trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const epoch = currentStep(trial);
	if (epoch === undefined || epoch <= spec.warmupEpochs) {
		return {prune: false};
	}

	const mine = objectives.map(objective => objectiveValueBy(objective, trial, epoch));
	const dominating = peers
		.filter(peer => peer.state === 'completed' && peer.steps.length > 0)
		.map(peer => ({id: peer.id, values: objectives.map(objective => objectiveValueBy(objective, peer, objective.name === 'train_seconds' ? Number.POSITIVE_INFINITY : epoch))}))
		.filter(peer => dominatesOriented(objectives, peer.values, mine));
	if (dominating.length < spec.minTrials) {
		return {prune: false};
	}

	const show = (values: readonly number[]) => objectives.map((objective, i) => `${objective.name} ${formatValue(values[i])}`).join(', ');
	return {
		prune: true,
		reason: `${show(mine)} by epoch ${epoch}: ${dominating.length} completed trial${dominating.length === 1 ? ' dominates' : 's dominate'} it (e.g. trial ${dominating[0].id}: ${show(dominating[0].values)}; needs ${spec.minTrials})`,
	};
}

/** `a` is at least as good as `b` on every objective and better on one (each read by its goal; non-finite is worst). */
function dominatesOriented(objectives: readonly MetricSpec[], a: readonly number[], b: readonly number[]): boolean {
	let better = false;
	for (const [index, objective] of objectives.entries()) {
		const [x, y] = [orientedValue(objective, a[index]), orientedValue(objective, b[index])];
		if (x < y) {
			return false;
		}

		better ||= x > y;
	}

	return better;
}

function formatValue(value: number): string {
	if (!Number.isFinite(value)) {
		return 'unknown';
	}

	return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
