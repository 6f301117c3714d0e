/**
 * HyperBand as a pruner, as Optuna's HyperbandPruner runs it: several ASHA brackets, each with its own first rung,
 * and every trial in one of them for good. Bracket s (0 = the most exploratory) starts its rungs at
 * minEpochs * reductionFactor^s, so bracket 0 judges after minEpochs and the last bracket only near maxEpochs;
 * a trial is compared only with the trials of its own bracket. There are floor(log_factor(maxEpochs / minEpochs)) + 1
 * brackets (Li et al. 2018, with ASHA's minimum resource).
 *
 * Brackets are assigned as Optuna assigns them: a CRC-32 of the trial's number, modulo the sum of the brackets'
 * budgets, read off their cumulative budgets, where bracket s's budget is ceil(n * factor^(n-1-s) / (n-s)): the
 * exploratory brackets get more trials, as in HyperBand's schedule. A hash rather than Ray Tune's draw (its
 * AsyncHyperBandScheduler picks a bracket at random, by a softmax over the brackets' rung counts) so that a
 * resumed sweep, a second process or `sweeplab worker` on another host puts a trial in the same bracket without
 * storing it. Optuna hashes "<study name>_<number>"; the number alone is enough here, since brackets never mix sweeps.
 */
import {crc32} from 'node:zlib';
import type {PrunerSpec} from '../types.js';
import {ashaRungs, decideAsha, type RungLadder} from './asha.js';
import type {PruneDecision, PrunerPeer, PrunerTrial, StepReader} from './trial.js';

type HyperbandSpec = Extract<PrunerSpec, {kind: 'hyperband'}>;

export interface Bracket {
	/** The ASHA ladder of this bracket: its first rung is `ladder.minEpochs`. */
	ladder: RungLadder;
	/** The epochs at which this bracket decides (empty for a last bracket whose first rung is maxEpochs itself). */
	rungs: number[];
	/** This bracket's share of the trials: `budget` in every sum-of-budgets consecutive hash values. */
	budget: number;
}

/** The brackets, most exploratory first. */
export function hyperbandBrackets(spec: HyperbandSpec): Bracket[] {
	// Whole numbers rather than Optuna's floating log, which can land just under an exact power.
	const firstRungs: number[] = [];
	for (let first = spec.minEpochs; first <= spec.maxEpochs; first *= spec.reductionFactor) {
		firstRungs.push(first);
	}

	const n = firstRungs.length;
	return firstRungs.map((minEpochs, s) => {
		const ladder = {minEpochs, maxEpochs: spec.maxEpochs, reductionFactor: spec.reductionFactor};
		const rest = n - 1 - s;
		return {ladder, rungs: ashaRungs(ladder), budget: Math.ceil((n * spec.reductionFactor ** rest) / (rest + 1))};
	});
}

/** The bracket (index into hyperbandBrackets) of the trial with this ordinal. */
export function bracketOf(brackets: readonly Bracket[], ordinal: number): number {
	const total = brackets.reduce((sum, bracket) => sum + bracket.budget, 0);
	let n = crc32(String(ordinal)) % total;
	for (const [s, bracket] of brackets.entries()) {
		n -= bracket.budget;
		if (n < 0) {
			return s;
		}
	}

	throw new Error(`unreachable: hash ${n} past the brackets' total budget ${total}`);
}

export function decideHyperband(spec: HyperbandSpec, read: StepReader, trial: PrunerTrial, peers: readonly PrunerPeer[]): PruneDecision {
	const brackets = hyperbandBrackets(spec);
	const s = bracketOf(brackets, trial.ordinal);
	const decision = decideAsha(brackets[s].ladder, read, trial, peers.filter((peer) => bracketOf(brackets, peer.ordinal) === s));
	if (!decision.prune) {
		return decision;
	}

	return {prune: true, reason: `hyperband bracket ${s + 1} of ${brackets.length} (rungs at epochs ${brackets[s].rungs.join(', ')}): ${decision.reason}`};
}
