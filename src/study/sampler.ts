import {repeatSeed} from '../sweep/expand.js';
import {configHash} from '../sweep/hash.js';
import {suggestTpe} from '../sweep/tpe.js';
import type {SweepDefinition, TrialConfig, TrialSpec} from '../types.js';
import type {SweepHistory} from './history.js';

/** Optuna's n_startup_trials default: random trials before the estimator takes over. */
export const DEFAULT_STARTUP_TRIALS = 10;

/** Tries before a space whose every suggestion is a config already in the sweep counts as exhausted. */
const DUPLICATE_TRIES = 20;

/**
 * The next trial of a tpe sweep, asked of the sampler with everything the sweep knows so far (running
 * and waiting trials as constant liars), or undefined once the sweep has its `trials`. Deterministic for a
 * seed when trials are asked one at a time: the random stream depends on the seed and the trial number.
 */
export function suggestNextTrial(definition: SweepDefinition, history: SweepHistory): TrialSpec | undefined {
	const count = history.size;
	if (count >= (definition.trials ?? 0)) {
		return undefined;
	}

	const {observations, pending} = history.observations(definition.objective ?? 'val_accuracy');
	const known = new Set([...observations.map(observation => configHash(observation.config)), ...pending.map(config => configHash(config))]);
	const keys = Object.keys(definition.parameters);
	const params = (config: TrialConfig) => Object.fromEntries(keys.map(key => [key, config[key as keyof TrialConfig]]));
	for (let attempt = 0; attempt < DUPLICATE_TRIES; attempt++) {
		const suggestion = suggestTpe({
			parameters: definition.parameters,
			observations: observations.map(observation => ({params: params(observation.config), value: observation.value})),
			pending: pending.map(config => params(config)),
			direction: definition.objective === 'val_loss' ? 'minimize' : 'maximize',
			startupTrials: definition.startupTrials ?? DEFAULT_STARTUP_TRIALS,
			seed: definition.seed,
			// A suggestion equal to a config already tried is asked again with another random stream.
			trialNumber: count + (attempt * 1_000_003),
		});
		const config = {...structuredClone(definition.base), ...suggestion} as TrialConfig;
		const hash = configHash(config);
		if (!known.has(hash)) {
			return {ordinal: count, config, configHash: hash, repeat: 0, seed: repeatSeed(definition.seed, 0)};
		}
	}

	return undefined;
}
