import {repeatSeed, sampleParameter} from '../sweep/expand.js';
import {configHash} from '../sweep/hash.js';
import {type MetricSpec, sweepMetric, type SweepDefinition, type TrialParams, type TrialSpec} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import {suggestTpe} from './tpe.js';

/** Optuna's n_startup_trials default: random trials before the estimator takes over. */
export const DEFAULT_STARTUP_TRIALS = 10;

/**
 * What the sampler needs to know of the sweep so far. The run loop's SweepHistory provides it; the interface
 * lives here so that the sampler does not depend on the run loop.
 */
export interface SamplerHistory {
	/** Trials the sweep has, in any state. */
	readonly size: number;
	/**
	 * Each finished trial's config and best value of the metric (NaN ranks worst), with the steps it ran when it
	 * stopped early (pruned, timed out), and the configs still running or waiting.
	 */
	observations(metric: MetricSpec): {observations: Array<{config: TrialParams; value: number; stoppedAt?: number}>; pending: TrialParams[]};
}

/**
 * A tpe sweep's trials are suggested one at a time during the run, so none are stored in advance: how many the
 * sampler will still suggest when `stored` trials exist. 0 for grid and random, whose trials are all expanded up front.
 */
export function trialsToSuggest(definition: SweepDefinition, stored = 0): number {
	return definition.method === 'tpe' ? Math.max(0, (definition.trials ?? 0) - stored) : 0;
}

/** How many of a tpe sweep's trials are sampled at random before the estimator takes over. */
export function randomStartupTrials(definition: SweepDefinition): number {
	return Math.min(definition.trials ?? 0, definition.startupTrials ?? DEFAULT_STARTUP_TRIALS);
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

	const metric = sweepMetric(definition);
	const {observations, pending} = history.observations(metric);
	const known = new Set([...observations.map(observation => configHash(observation.config, definition)), ...pending.map(config => configHash(config, definition))]);
	const keys = Object.keys(definition.parameters);
	const params = (config: TrialParams) => Object.fromEntries(keys.map(key => [key, config[key]]));
	for (let attempt = 0; attempt < TPE_TRIES + RANDOM_TRIES; attempt++) {
		const suggestion = attempt < TPE_TRIES ? suggestTpe({
			parameters: definition.parameters,
			observations: observations.map(observation => ({params: params(observation.config), value: observation.value, stoppedAt: observation.stoppedAt})),
			pending: pending.map(config => params(config)),
			direction: metric.goal,
			startupTrials: definition.startupTrials ?? DEFAULT_STARTUP_TRIALS,
			multivariate: definition.multivariate === true,
			seed: definition.seed,
			// A suggestion equal to a config already tried is asked again with another random stream.
			trialNumber: count + (attempt * 1_000_003),
		}) : randomSuggestion(definition, deriveSeed(definition.seed, 'tpe-fallback', count, attempt));
		const config: TrialParams = {...structuredClone(definition.base), ...suggestion};
		const hash = configHash(config, definition);
		if (!known.has(hash)) {
			return {ordinal: count, config, configHash: hash, repeat: 0, seed: repeatSeed(definition.seed, 0)};
		}
	}

	return undefined;
}

function randomSuggestion(definition: SweepDefinition, seed: number): Record<string, unknown> {
	const rng = createRng(seed);
	return Object.fromEntries(Object.keys(definition.parameters).sort().map(key => [key, sampleParameter(definition.parameters[key], rng)]));
}
