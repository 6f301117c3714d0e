import {activeParams} from '../sweep/conditions.js';
import {randomParameters, repeatSeed} from '../sweep/expand.js';
import {configHash} from '../sweep/hash.js';
import {isSuggestedMethod, type MetricSpec, type SweepDefinition, sweepObjectives, type TrialParams, type TrialSpec} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import {suggestMotpe} from './motpe.js';
import {NSGA2_DEFAULT_POPULATION, suggestNsga2} from './nsga2.js';
import {suggestTpe} from './tpe.js';

/** Optuna's n_startup_trials default: random trials before the estimator takes over. */
export const DEFAULT_STARTUP_TRIALS = 10;

/** A finished trial as the sampler sees it: one value per objective (NaN: failed or diverged). */
export interface SamplerObservation {
	config: TrialParams;
	values: number[];
	/** Set for a trial stopped early (pruned, timed out): the steps it ran. */
	stoppedAt?: number;
}

/**
 * What the sampler needs to know of the sweep so far. The run loop's SweepHistory provides it; the interface
 * lives here so that the sampler does not depend on the run loop.
 */
export interface SamplerHistory {
	/** Trials the sweep has, in any state. */
	readonly size: number;
	/**
	 * Each finished trial's config and value of each objective (src/util/objectives.ts; NaN ranks worst), with the
	 * steps it ran when it stopped early (pruned, timed out), and the configs still running or waiting.
	 */
	observations(objectives: readonly MetricSpec[]): {observations: SamplerObservation[]; pending: TrialParams[]};
}

/**
 * A tpe sweep's trials are suggested one at a time during the run, so none are stored in advance: how many the
 * sampler will still suggest when `stored` trials exist. 0 for grid and random, whose trials are all expanded up front.
 */
export function trialsToSuggest(definition: SweepDefinition, stored = 0): number {
	return isSuggestedMethod(definition.method) ? Math.max(0, (definition.trials ?? 0) - stored) : 0;
}

/**
 * How many trials are sampled at random before the estimator takes over: tpe's startupTrials; for nsga2 the
 * first generation, whose size startupTrials sets too (Optuna's population_size, default 50).
 */
function startupTrials(definition: SweepDefinition): number {
	return definition.startupTrials ?? (definition.method === 'nsga2' ? NSGA2_DEFAULT_POPULATION : DEFAULT_STARTUP_TRIALS);
}

/** How many of a tpe or nsga2 sweep's trials are sampled at random before the sampler takes over. */
export function randomStartupTrials(definition: SweepDefinition): number {
	return Math.min(definition.trials ?? 0, startupTrials(definition));
}

/**
 * A suggestion equal to a config the sweep already has cannot be stored again (configs are unique per sweep):
 * TPE is asked again with other random streams, then configs are drawn at random from the whole space, and
 * only when all of that finds nothing new does the space count as exhausted.
 */
const TPE_TRIES = 10;
const RANDOM_TRIES = 1000;

/**
 * The next trial of a tpe sweep, asked of the sampler with everything the sweep knows so far (running
 * and waiting trials as constant liars), or undefined once the sweep has its `trials`. Deterministic for a
 * seed when trials are asked one at a time: the random stream depends on the seed and the trial number.
 */
export function suggestNextTrial(definition: SweepDefinition, history: SamplerHistory): TrialSpec | undefined {
	const count = history.size;
	if (count >= (definition.trials ?? 0)) {
		return undefined;
	}

	const objectives = sweepObjectives(definition);
	const {observations, pending} = history.observations(objectives);
	const known = new Set([...observations.map(observation => configHash(observation.config, definition)), ...pending.map(config => configHash(config, definition))]);
	// The sampler sees only the parameters that applied to a trial: a built-in config still holds the base value of
	// one that did not, which must not count as an observation of it.
	const params = (config: TrialParams) => activeParams(definition.parameters, config);
	for (let attempt = 0; attempt < TPE_TRIES + RANDOM_TRIES; attempt++) {
		// A suggestion equal to a config already tried is asked again with another random stream.
		const trialNumber = count + (attempt * 1_000_003);
		const suggestion = attempt < TPE_TRIES
			? sample(definition, objectives, observations.map(({config, ...rest}) => ({params: params(config), ...rest})), pending.map(config => params(config)), trialNumber)
			: randomSuggestion(definition, deriveSeed(definition.seed, 'tpe-fallback', count, attempt));
		const config: TrialParams = {...structuredClone(definition.base), ...suggestion};
		const hash = configHash(config, definition);
		if (!known.has(hash)) {
			return {ordinal: count, config, configHash: hash, repeat: 0, seed: repeatSeed(definition.seed, 0)};
		}
	}

	return undefined;
}

/**
 * One suggestion from the sweep's sampler: TPE for one objective, MOTPE for several (both with the constant liar
 * for pending trials), NSGA-II (which has none: a generation's children are bred from finished trials only).
 */
function sample(definition: SweepDefinition, objectives: readonly MetricSpec[], observations: Array<{params: TrialParams; values: number[]; stoppedAt?: number}>, pending: TrialParams[], trialNumber: number): Record<string, unknown> {
	const common = {parameters: definition.parameters, seed: definition.seed, trialNumber};
	const directions = objectives.map(objective => objective.goal);
	if (definition.method === 'nsga2') {
		return suggestNsga2({...common, observations, directions, populationSize: startupTrials(definition)});
	}

	const tpe = {...common, pending, startupTrials: startupTrials(definition), ...(definition.multivariate !== undefined && {multivariate: definition.multivariate})};
	if (objectives.length > 1) {
		return suggestMotpe({...tpe, observations, directions});
	}

	return suggestTpe({...tpe, observations: observations.map(({values, ...rest}) => ({...rest, value: values[0]})), direction: directions[0]});
}

function randomSuggestion(definition: SweepDefinition, seed: number): Record<string, unknown> {
	return randomParameters(definition.parameters, createRng(seed));
}
