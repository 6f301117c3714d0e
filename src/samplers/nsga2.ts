/**
 * NSGA-II (Deb et al. 2002), following Optuna 3.1's NSGAIISampler with its defaults: generations of
 * `populationSize` finished trials in trial order; each generation's parents are the elite of the generation and
 * the previous parents (whole non-domination ranks while they fit, the rank that does not fit cut by crowding
 * distance); a child is, with probability 0.9, a uniform crossover of two parents each picked by a binary
 * tournament (else a copy of a random parent), then each parameter is redrawn at random with probability
 * 1 / (number of parameters). Until the first generation is complete, trials are random.
 *
 * Optuna records each trial's generation when it is sampled; a pure function has only the history, so generation g
 * is the g-th run of `populationSize` finished trials, oldest first, which is what Optuna assigns when trials run one
 * at a time. As in Optuna, only finished trials count: stopped (pruned) and diverged (NaN) ones, and running ones,
 * belong to no population.
 */
import type {ParameterSpec} from '../types.js';
import {activeParams} from '../sweep/conditions.js';
import {randomParameters, sampleParameter} from '../sweep/expand.js';
import {crowdingDistances, dominates, nondominatedRanks} from '../util/pareto.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Rng} from '../util/random.js';
import {lossVectors} from './motpe.js';
import {inParameterSpace} from './tpe.js';
import type {MotpeObservation} from './motpe.js';

export interface Nsga2Input {
	parameters: Record<string, ParameterSpec>;
	/** Finished and stopped trials, oldest first (the same shape as MOTPE's). */
	observations: MotpeObservation[];
	directions: Array<'maximize' | 'minimize'>;
	seed: number;
	/** Picks the random stream, so the same history gives the same suggestion for the same trial. */
	trialNumber: number;
	/** Optuna's default 50. */
	populationSize?: number;
	/** Per parameter; Optuna's default 1 / (number of parameters). */
	mutationProb?: number;
	/** Optuna's default 0.9. */
	crossoverProb?: number;
	/** Uniform crossover's chance of taking each parameter from the second parent; Optuna's default 0.5. */
	swappingProb?: number;
}

export const NSGA2_DEFAULT_POPULATION = 50;

/**
 * One suggested value per parameter (keys of `parameters`), as suggestTpe returns them.
 * @throws RangeError for a non-integer trialNumber, a population size below 2, a probability outside [0, 1], or an
 * observation whose number of values differs from the number of directions: programming errors, not user input.
 */
export function suggestNsga2(input: Nsga2Input): Record<string, unknown> {
	const populationSize = input.populationSize ?? NSGA2_DEFAULT_POPULATION;
	if (!Number.isInteger(populationSize) || populationSize < 2) {
		throw new RangeError(`suggestNsga2: populationSize must be an integer >= 2, got ${populationSize}`);
	}
	if (!Number.isSafeInteger(input.trialNumber)) {
		throw new RangeError(`suggestNsga2: trialNumber must be a safe integer, got ${input.trialNumber}`);
	}
	const names = Object.keys(input.parameters).sort();
	const mutationProb = input.mutationProb ?? 1 / Math.max(1, names.length);
	const crossoverProb = input.crossoverProb ?? 0.9;
	const swappingProb = input.swappingProb ?? 0.5;
	for (const [name, p] of [['mutationProb', mutationProb], ['crossoverProb', crossoverProb], ['swappingProb', swappingProb]] as const) {
		if (!(p >= 0 && p <= 1)) {
			throw new RangeError(`suggestNsga2: ${name} must be within [0, 1], got ${p}`);
		}
	}
	for (const observation of input.observations) {
		if (observation.values.length !== input.directions.length) {
			throw new RangeError(`suggestNsga2: an observation has ${observation.values.length} values for ${input.directions.length} directions`);
		}
	}

	const rng = createRng(deriveSeed(input.seed, 'nsga2', input.trialNumber));
	const parents = parentPopulation(input.observations, input.directions, populationSize);
	if (parents.length === 0) {
		return randomParameters(input.parameters, rng);
	}

	let child: Record<string, unknown>;
	if (rng.next() < crossoverProb) {
		const first = tournament(parents, rng);
		const second = tournament(parents.filter((member) => member !== first), rng);
		child = Object.fromEntries(names.map((name) => [name, (rng.next() >= swappingProb ? second : first).params[name]]));
	} else {
		const parent = parents[rng.int(0, parents.length - 1)];
		child = Object.fromEntries(names.map((name) => [name, parent.params[name]]));
	}
	const result: Record<string, unknown> = {};
	for (const name of names) {
		// A parent may lack a parameter or hold a value outside its space (the space changed on resume): that one is
		// drawn at random as a mutation would be (Optuna breeds again until the child fits the space).
		const keep = rng.next() >= mutationProb && inParameterSpace(input.parameters[name], child[name]);
		result[name] = keep ? structuredClone(child[name]) : sampleParameter(input.parameters[name], rng);
	}
	// In a conditional space a child can mix parents that had different parameters: a parameter only one parent had is
	// taken from it (or drawn afresh when the parent taken lacked it, as above), and one whose condition fails for the
	// child is left out, so the child is always a valid config. Optuna crosses over only the parameters both parents
	// have and samples the rest independently, which gives the same kind of child.
	return activeParams(input.parameters, result);
}

export interface Member {
	params: Record<string, unknown>;
	/** Losses: every objective minimised. */
	loss: number[];
	/** Position in the observations, for a stable order. */
	index: number;
}

/**
 * The parents of the next trial: the elite after the last complete generation, or none before the first is
 * complete. Exported for the tests.
 */
export function parentPopulation(observations: readonly MotpeObservation[], directions: ReadonlyArray<'maximize' | 'minimize'>, populationSize: number): Member[] {
	const losses = lossVectors(observations, directions);
	const finished: Member[] = observations.flatMap((observation, index) =>
		observation.stoppedAt === undefined && !losses[index].some((value) => Number.isNaN(value)) ? [{params: observation.params, loss: losses[index], index}] : [],
	);
	let parents: Member[] = [];
	for (let start = 0; start + populationSize <= finished.length; start += populationSize) {
		parents = elite([...finished.slice(start, start + populationSize), ...parents], populationSize);
	}
	return parents;
}

/** NSGA-II's survivor selection: whole ranks while they fit, then the most isolated (crowding distance) of the next. */
export function elite(population: readonly Member[], size: number): Member[] {
	const ranks = nondominatedRanks(population.map((member) => member.loss));
	const levels: Member[][] = [];
	for (const [i, rank] of ranks.entries()) {
		(levels[rank] ??= []).push(population[i]);
	}
	const chosen: Member[] = [];
	for (const level of levels) {
		if (level === undefined) {
			continue;
		}
		if (chosen.length + level.length < size) {
			chosen.push(...level);
			continue;
		}
		const distances = crowdingDistances(level.map((member) => member.loss));
		const order = level.map((_, j) => j).sort((a, b) => distances[b] - distances[a] || level[a].index - level[b].index);
		chosen.push(...order.slice(0, size - chosen.length).map((j) => level[j]));
		break;
	}
	return chosen;
}

/** Optuna's binary tournament: two members drawn with replacement; the first wins only if it dominates the second. */
function tournament(population: readonly Member[], rng: Rng): Member {
	const a = population[rng.int(0, population.length - 1)];
	const b = population[rng.int(0, population.length - 1)];
	return dominates(a.loss, b.loss) ? a : b;
}
