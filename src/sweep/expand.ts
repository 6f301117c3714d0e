/**
 * Sweep definition -> the ordered list of trials. Deterministic by construction: parameter names are
 * sorted, values keep file order, and random sampling uses a PRNG seeded from the sweep seed, so the same
 * file always yields the same trials (which is what lets an interrupted sweep resume).
 */
import {SweepFileError} from '../errors.js';
import {isSuggestedMethod, type ParameterSpec, type SweepDefinition, type TrialParams, type TrialSpec} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Rng} from '../util/random.js';
import {activeParams, isActive, parameterOrder} from './conditions.js';
import {expectedSteps} from './describe.js';
import {configHash} from './hash.js';

export interface ExpansionStats {
	specs: TrialSpec[];
	/** Distinct configs (before repeats). */
	configs: number;
	/** Random sweeps: samples identical to an earlier sample, dropped rather than resampled. Always 0 for grids. */
	duplicatesSkipped: number;
}

/** The seed every config of repeat `r` trains with: configs are compared on the same initialisation. */
export function repeatSeed(sweepSeed: number, repeat: number): number {
	return deriveSeed(sweepSeed, 'repeat', repeat);
}

/**
 * All trials of the sweep, repeat-major (every config of repeat 0, then repeat 1, ...), ordinal = position.
 * @throws SweepFileError if a grid holds a distribution (checkSweep rejects such files; this guards hand-built definitions).
 */
export function expandSweep(definition: SweepDefinition): TrialSpec[] {
	return expandSweepWithStats(definition).specs;
}

export function expandSweepWithStats(definition: SweepDefinition): ExpansionStats {
	// A tpe sweep has no trials up front: the run loop asks the sampler for each one as results come in.
	const {configs, duplicatesSkipped} =
		definition.method === 'grid'
			? {configs: gridConfigs(definition), duplicatesSkipped: 0}
			: (isSuggestedMethod(definition.method) ? {configs: [], duplicatesSkipped: 0} : randomConfigs(definition));
	const hashes = configs.map((config) => configHash(config, definition));
	const specs: TrialSpec[] = [];
	for (let repeat = 0; repeat < definition.repeats; repeat++) {
		const seed = repeatSeed(definition.seed, repeat);
		for (const [index, config] of configs.entries()) {
			specs.push({ordinal: specs.length, config: structuredClone(config), configHash: hashes[index], repeat, seed});
		}
	}
	return {specs, configs: configs.length, duplicatesSkipped};
}

/** Sum of the expected steps (epochs) over the trials: the unit of work for progress and time estimates. */
export function totalEpochs(specs: readonly TrialSpec[]): number {
	let sum = 0;
	for (const spec of specs) {
		sum += expectedSteps(spec.config);
	}
	return sum;
}

function withValue(config: TrialParams, key: string, value: unknown): TrialParams {
	// Values come from a validated definition; cloning keeps configs from sharing arrays such as `hidden`.
	return {...config, [key]: structuredClone(value)};
}

function gridConfigs(definition: SweepDefinition): TrialParams[] {
	let configs: TrialParams[] = [structuredClone(definition.base)];
	// Each pass multiplies the list by one parameter, inner loop over its values: the first name varies slowest. A
	// conditional parameter comes after those it depends on, and multiplies only the configs it applies to.
	for (const name of parameterOrder(definition.parameters)) {
		const spec = definition.parameters[name];
		if (spec.kind !== 'values') {
			throw new SweepFileError(`sweep "${definition.name}": parameters.${name}: a grid needs a list of values, got a ${spec.kind} distribution (use method: random)`);
		}
		const next: TrialParams[] = [];
		for (const config of configs) {
			if (!isActive(definition.parameters, name, config)) {
				next.push(config);
				continue;
			}
			for (const value of spec.values) {
				next.push(withValue(config, name, value));
			}
		}
		configs = next;
	}
	return configs;
}

/**
 * Every parameter drawn uniformly from its space, in sorted-name order, and those whose condition then fails left out:
 * a random-search config, and the samplers' start-up and fallback draws. The values are independent, so this samples
 * the same space as drawing in dependency order, and a space without conditions keeps the stream it always had.
 */
export function randomParameters(parameters: Readonly<Record<string, ParameterSpec>>, rng: Rng): TrialParams {
	const drawn: TrialParams = {};
	for (const name of Object.keys(parameters).sort()) {
		drawn[name] = sampleParameter(parameters[name], rng);
	}
	return activeParams(parameters, drawn);
}

/** One value drawn uniformly from a parameter's space: random search's sampler, and TPE's during start-up. */
export function sampleParameter(spec: ParameterSpec, rng: Rng): unknown {
	switch (spec.kind) {
		case 'values': {
			return structuredClone(spec.values[rng.int(0, spec.values.length - 1)]);
		}
		case 'uniform': {
			return spec.min + rng.next() * (spec.max - spec.min);
		}
		case 'log-uniform': {
			return Math.exp(Math.log(spec.min) + rng.next() * (Math.log(spec.max) - Math.log(spec.min)));
		}
		case 'int-uniform': {
			return rng.int(spec.min, spec.max);
		}
		case 'log-int-uniform': {
			// As Optuna does: widen by half a step on each side so the end values get their fair share, then round.
			const low = Math.log(spec.min - 0.5);
			const high = Math.log(spec.max + 0.5);
			const value = Math.round(Math.exp(low + rng.next() * (high - low)));
			return Math.min(spec.max, Math.max(spec.min, value));
		}
	}
}

function randomConfigs(definition: SweepDefinition): {configs: TrialParams[]; duplicatesSkipped: number} {
	const rng = createRng(deriveSeed(definition.seed, 'sample'));
	const seen = new Set<string>();
	const configs: TrialParams[] = [];
	let duplicatesSkipped = 0;
	const trials = definition.trials ?? 1;
	for (let i = 0; i < trials; i++) {
		let config = structuredClone(definition.base);
		for (const [name, value] of Object.entries(randomParameters(definition.parameters, rng))) {
			config = withValue(config, name, value);
		}
		const hash = configHash(config, definition);
		if (seen.has(hash)) {
			// Skipping instead of resampling keeps sample i the same whatever happened to the samples before it.
			duplicatesSkipped++;
			continue;
		}
		seen.add(hash);
		configs.push(config);
	}
	return {configs, duplicatesSkipped};
}
