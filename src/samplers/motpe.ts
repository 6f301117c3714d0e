/**
 * Multi-objective TPE, following Optuna 3.1's TPESampler on a study with several objectives (MOTPE, Ozaki et al.
 * 2020/2022): the good group is filled front by front (non-domination rank), the front that does not fit whole is
 * cut by greedy hypervolume subset selection, and each good observation's kernel in l(x) is weighted by its share of
 * the good group's hypervolume, so that l(x) favours configs that push the front outwards where it is thin. The
 * Parzen estimators, the candidate draws and the l/g comparison are single-objective TPE's (tpe.ts).
 *
 * Where sweeplab goes further than Optuna 3.1 (whose multi-objective TPE ignores pruned and running trials):
 * trials stopped early rank after every finished trial, deeper first, and running trials are constant liars at the
 * end of the bad group, as in single-objective TPE.
 * A pure function of its input: the run loop owns the trial history.
 */
import {greedyHypervolumeSubset, hypervolumeContributions, nadirReference, nondominatedRanks} from '../util/pareto.js';
import {createRng, deriveSeed} from '../util/random.js';
import {randomParameters} from '../sweep/expand.js';
import {defaultGamma, parameterGroups, suggestFromGroups, TPE_DEFAULT_CANDIDATES} from './tpe.js';
import type {TpeInput} from './tpe.js';

export interface MotpeObservation {
	params: Record<string, unknown>;
	/** One value per objective, in `directions` order; NaN (a diverged trial) ranks after every finite row. */
	values: number[];
	/** Set for a trial stopped before its last epoch: the epochs it ran (it then ranks after every finished trial). */
	stoppedAt?: number;
}

export interface MotpeInput extends Omit<TpeInput, 'observations' | 'direction' | 'multivariate'> {
	/**
	 * Optuna's multivariate TPE (one Scott-like bandwidth for every kernel; grouped where parameters are conditional);
	 * absent or false, one estimator per parameter, as Optuna's default. Single-objective TPE's joint estimators were
	 * not measured here, so multi-objective TPE keeps Optuna's.
	 */
	multivariate?: boolean;
	/** Finished and stopped trials, oldest first. */
	observations: MotpeObservation[];
	/** One per objective (two or more). */
	directions: Array<'maximize' | 'minimize'>;
}

/** Optuna's EPS: the weight floor, and the reference point's coordinate where 1.1 x the worst value is 0. */
const EPS = 1e-12;

/**
 * One suggested value per parameter, as suggestTpe returns them, deterministic for (seed, trialNumber) and history.
 * @throws RangeError for a non-integer trialNumber, candidates < 1, or an observation whose number of values differs
 * from the number of directions: programming errors, not user input.
 */
export function suggestMotpe(input: MotpeInput): Record<string, unknown> {
	const candidates = input.candidates ?? TPE_DEFAULT_CANDIDATES;
	if (!Number.isInteger(candidates) || candidates < 1) {
		throw new RangeError(`suggestMotpe: candidates must be an integer >= 1, got ${candidates}`);
	}
	if (!Number.isSafeInteger(input.trialNumber)) {
		throw new RangeError(`suggestMotpe: trialNumber must be a safe integer, got ${input.trialNumber}`);
	}
	for (const observation of input.observations) {
		if (observation.values.length !== input.directions.length) {
			throw new RangeError(`suggestMotpe: an observation has ${observation.values.length} values for ${input.directions.length} directions`);
		}
	}
	const rng = createRng(deriveSeed(input.seed, 'motpe', input.trialNumber));
	if (input.observations.length < input.startupTrials) {
		return randomParameters(input.parameters, rng);
	}

	const losses = lossVectors(input.observations, input.directions);
	const stages = input.observations.map((observation) => stage(observation.stoppedAt));
	const gamma = input.gamma ?? defaultGamma;
	const nBelow = Math.min(Math.max(Math.floor(gamma(input.observations.length)), 0), input.observations.length);
	const {below, above} = splitMultiObjective(losses, stages, nBelow);
	return suggestFromGroups(
		{
			parameters: input.parameters,
			below: below.map((i) => input.observations[i].params),
			belowWeights: multiObjectiveWeights(below.map((i) => losses[i])),
			// The liars' values are the worst, so running trials end the bad group.
			above: [...above.map((i) => input.observations[i].params), ...input.pending],
			candidates,
			multivariate: input.multivariate === true,
			estimators: 'optuna',
			...(input.multivariate === true && {groups: parameterGroups(input.parameters, input.observations.map((observation) => observation.params))}),
		},
		rng,
	);
}

/** Every objective turned into a loss to minimise (maximised ones negated); NaN stays NaN. */
export function lossVectors(observations: readonly MotpeObservation[], directions: ReadonlyArray<'maximize' | 'minimize'>): number[][] {
	return observations.map((observation) => observation.values.map((value, k) => (directions[k] === 'maximize' ? -value : value)));
}

/** Optuna's (-step) order: finished trials first (-Infinity), then trials stopped later before those stopped earlier. */
function stage(stoppedAt: number | undefined): number {
	return stoppedAt === undefined ? Number.NEGATIVE_INFINITY : -stoppedAt;
}

/**
 * Optuna's _split_observation_pairs for several objectives: the good group takes whole levels (non-domination
 * ranks) while they fit, then the greedy hypervolume subset of the next level (reference: its worst point pushed 10%
 * out); everything else is bad. Levels are ordered by stage first (finished trials, then stopped ones, deeper first;
 * `stages` as tpe.ts's -stoppedAt), then by rank within the stage; rows with a non-finite value form each stage's last
 * level, cut oldest first. `below` is in the order picked (as Optuna's), `above` oldest first.
 */
export function splitMultiObjective(losses: readonly number[][], stages: readonly number[], nBelow: number): {below: number[]; above: number[]} {
	const levels = rankLevels(losses, stages);
	const below: number[] = [];
	for (const level of levels) {
		const room = nBelow - below.length;
		if (room <= 0) {
			break;
		}
		if (level.length <= room) {
			below.push(...level);
			continue;
		}
		const points = level.map((i) => losses[i]);
		if (points.every((row) => row.every((value) => Number.isFinite(value)))) {
			below.push(...greedyHypervolumeSubset(points, room, nadirReference(points)).map((j) => level[j]));
		} else {
			below.push(...level.slice(0, room));
		}
	}
	const chosen = new Set(below);
	const above = losses.flatMap((_, i) => (chosen.has(i) ? [] : [i]));
	return {below, above};
}

/** Indices grouped by (stage, non-domination rank within the stage), each group oldest first. */
function rankLevels(losses: readonly number[][], stages: readonly number[]): number[][] {
	const byStage = new Map<number, number[]>();
	for (const [i, s] of stages.entries()) {
		const members = byStage.get(s) ?? [];
		members.push(i);
		byStage.set(s, members);
	}
	const levels: number[][] = [];
	for (const s of [...byStage.keys()].sort((a, b) => a - b)) {
		const members = byStage.get(s)!;
		const ranks = nondominatedRanks(members.map((i) => losses[i]));
		const count = Math.max(-1, ...ranks) + 1;
		const grouped: number[][] = Array.from({length: count}, () => []);
		for (const [j, i] of members.entries()) {
			grouped[ranks[j]].push(i);
		}
		levels.push(...grouped);
	}
	return levels;
}

/**
 * Optuna's _calculate_weights_below_for_multi_objective: each good observation's exclusive hypervolume
 * contribution within the good group (reference: the group's worst point pushed 10% out), plus EPS, divided by the
 * largest; 1 for a lone observation. Rows with a non-finite value get EPS (as Optuna's infeasible trials do).
 */
export function multiObjectiveWeights(losses: readonly number[][]): number[] {
	const finite = losses.flatMap((row, i) => (row.every((value) => Number.isFinite(value)) ? [i] : []));
	const weights = new Array<number>(losses.length).fill(EPS);
	if (finite.length === 1) {
		weights[finite[0]] = 1;
	} else if (finite.length > 1) {
		const points = finite.map((i) => losses[i]);
		const contributions = hypervolumeContributions(points, nadirReference(points)).map((c) => c + EPS);
		const largest = Math.max(...contributions);
		for (const [j, i] of finite.entries()) {
			weights[i] = Math.min(1, Math.max(0, contributions[j] / largest));
		}
	}
	return weights;
}
