/**
 * Tree-structured Parzen Estimator sampling (Bergstra et al. 2011), following Optuna's independent
 * TPESampler: per parameter, the observations are split into a good group (the best gamma(n)) and a bad
 * group; each group becomes a Parzen estimator (l for good, g for bad), candidates are drawn from l and the
 * one with the highest l(x)/g(x) wins. A pure function of its input: the run loop owns the trial history.
 */
import type {ParameterSpec} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Rng} from '../util/random.js';
import {sampleParameter} from '../sweep/expand.js';
import {canonicalJson} from '../sweep/hash.js';

export interface TpeObservation {
	params: Record<string, unknown>;
	/** The objective; NaN (a diverged trial) ranks worst whatever the direction. */
	value: number;
}

export interface TpeInput {
	parameters: Record<string, ParameterSpec>;
	/** Finished trials, oldest first: Optuna weights recent observations more once there are over 25. */
	observations: TpeObservation[];
	/** Params of trials still running; they count as the worst value seen so far (constant liar). */
	pending: Array<Record<string, unknown>>;
	direction: 'maximize' | 'minimize';
	/** Sample at random until this many observations exist. */
	startupTrials: number;
	seed: number;
	/** Picks the random stream, so the same history gives the same suggestion for the same trial. */
	trialNumber: number;
	/** Draws from l(x) per parameter; Optuna's default 24. */
	candidates?: number;
	/** Size of the good group for n observations (pending included); Optuna's default min(ceil(0.1 n), 25). */
	gamma?: (n: number) => number;
}

export const TPE_DEFAULT_CANDIDATES = 24;

export function defaultGamma(n: number): number {
	return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Optuna's default_weights: flat for up to 25 observations, then a linear ramp from 1/n for all but the
 * 25 most recent, so that early (pre-convergence) observations fade without being forgotten.
 */
export function defaultWeights(n: number): number[] {
	if (n < 25) {
		return new Array<number>(n).fill(1);
	}
	const rampLength = n - 25;
	const ramp = Array.from({length: rampLength}, (_, i) => (rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1)));
	return [...ramp, ...new Array<number>(25).fill(1)];
}

const PRIOR_WEIGHT = 1;

/**
 * One suggested value per parameter (keys of `parameters`); numbers for distributions (integers for the
 * int kinds), one of the listed values (a copy) for `values`.
 * @throws RangeError for a non-integer trialNumber or seed, or candidates < 1: programming errors, not user input.
 */
export function suggestTpe(input: TpeInput): Record<string, unknown> {
	const candidates = input.candidates ?? TPE_DEFAULT_CANDIDATES;
	if (!Number.isInteger(candidates) || candidates < 1) {
		throw new RangeError(`suggestTpe: candidates must be an integer >= 1, got ${candidates}`);
	}
	if (!Number.isSafeInteger(input.trialNumber)) {
		throw new RangeError(`suggestTpe: trialNumber must be a safe integer, got ${input.trialNumber}`);
	}
	const rng = createRng(deriveSeed(input.seed, 'tpe', input.trialNumber));
	const names = Object.keys(input.parameters).sort();
	const result: Record<string, unknown> = {};

	if (input.observations.length < input.startupTrials) {
		for (const name of names) {
			result[name] = sampleParameter(input.parameters[name], rng);
		}
		return result;
	}

	const {below, above} = splitObservations(input);
	for (const name of names) {
		const spec = input.parameters[name];
		const good = below.map((params) => params[name]);
		const bad = above.map((params) => params[name]);
		result[name] = spec.kind === 'values' ? suggestCategorical(spec.values, good, bad, candidates, rng) : suggestNumeric(spec, good, bad, candidates, rng);
	}
	return result;
}

/** Good and bad parameter sets, each oldest first. Pending trials always go to the bad group, as Optuna's liar does. */
function splitObservations(input: TpeInput): {below: Array<Record<string, unknown>>; above: Array<Record<string, unknown>>} {
	const sign = input.direction === 'maximize' ? -1 : 1;
	const order = input.observations.map((observation, index) => ({index, key: Number.isNaN(observation.value) ? Number.POSITIVE_INFINITY : sign * observation.value}));
	// Ties keep the older trial first; NaN keys sort after every number, including -Infinity * sign.
	order.sort((a, b) => (a.key === b.key ? a.index - b.index : a.key < b.key ? -1 : 1));
	const gamma = input.gamma ?? defaultGamma;
	const n = input.observations.length + input.pending.length;
	const nBelow = clamp(Math.floor(gamma(n)), 0, input.observations.length);
	const belowIndices = new Set(order.slice(0, nBelow).map((entry) => entry.index));
	const below: Array<Record<string, unknown>> = [];
	const above: Array<Record<string, unknown>> = [];
	for (const [index, observation] of input.observations.entries()) {
		(belowIndices.has(index) ? below : above).push(observation.params);
	}
	// The liar's value is the worst seen, so a pending trial ranks after every observation: the end of the bad group.
	above.push(...input.pending);
	return {below, above};
}

// ---- categorical ----------------------------------------------------------------------------------------

function suggestCategorical(values: unknown[], good: unknown[], bad: unknown[], candidates: number, rng: Rng): unknown {
	const keys = values.map((value) => canonicalJson(value));
	const indexOf = new Map<string, number>();
	for (const [index, key] of keys.entries()) {
		if (!indexOf.has(key)) {
			indexOf.set(key, index);
		}
	}
	const l = categoricalDistribution(values.length, good, indexOf);
	const g = categoricalDistribution(values.length, bad, indexOf);
	let best = -1;
	let bestScore = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < candidates; i++) {
		const index = drawIndex(l, rng);
		const score = Math.log(l[index]) - Math.log(g[index]);
		if (best === -1 || score > bestScore) {
			best = index;
			bestScore = score;
		}
	}
	return structuredClone(values[best]);
}

/**
 * Optuna's categorical Parzen estimator: each observation is a kernel putting weight 1 on its category and
 * prior_weight / kernels on every category (so the smoothing fades as evidence grows); the prior kernel is
 * uniform. The mixture collapses to one probability vector.
 */
function categoricalDistribution(k: number, observed: unknown[], indexOf: Map<string, number>): number[] {
	const indices: number[] = [];
	for (const value of observed) {
		const index = value === undefined ? undefined : indexOf.get(canonicalJson(value));
		if (index !== undefined) {
			indices.push(index);
		}
	}
	const weights = [...defaultWeights(indices.length), PRIOR_WEIGHT];
	const total = weights.reduce((sum, w) => sum + w, 0);
	const fill = PRIOR_WEIGHT / weights.length;
	const rowSum = 1 + fill * k;
	const probabilities = new Array<number>(k).fill(0);
	for (const [i, index] of indices.entries()) {
		const w = weights[i] / total;
		for (let c = 0; c < k; c++) {
			probabilities[c] += (w * fill) / rowSum;
		}
		probabilities[index] += w / rowSum;
	}
	const priorShare = weights[weights.length - 1] / total;
	for (let c = 0; c < k; c++) {
		probabilities[c] += priorShare / k;
	}
	return probabilities;
}

function drawIndex(probabilities: number[], rng: Rng): number {
	const u = rng.next();
	let cumulative = 0;
	for (const [index, p] of probabilities.entries()) {
		cumulative += p;
		if (u < cumulative) {
			return index;
		}
	}
	return probabilities.length - 1;
}

// ---- numeric --------------------------------------------------------------------------------------------

type NumericSpec = Exclude<ParameterSpec, {kind: 'values'}>;

interface Parzen {
	mus: number[];
	sigmas: number[];
	/** Normalised mixture weights. */
	weights: number[];
	/** The truncation interval, in the transformed (log for log kinds) space. */
	low: number;
	high: number;
}

/** Log kinds work in log space; integer kinds widen the interval by half a step so the end values get whole bins. */
function domain(spec: NumericSpec): {low: number; high: number; log: boolean; int: boolean} {
	switch (spec.kind) {
		case 'uniform': {
			return {low: spec.min, high: spec.max, log: false, int: false};
		}
		case 'log-uniform': {
			return {low: Math.log(spec.min), high: Math.log(spec.max), log: true, int: false};
		}
		case 'int-uniform': {
			return {low: spec.min - 0.5, high: spec.max + 0.5, log: false, int: true};
		}
		case 'log-int-uniform': {
			return {low: Math.log(spec.min - 0.5), high: Math.log(spec.max + 0.5), log: true, int: true};
		}
	}
}

function suggestNumeric(spec: NumericSpec, good: unknown[], bad: unknown[], candidates: number, rng: Rng): number {
	const space = domain(spec);
	const toSpace = (value: number): number => (space.log ? Math.log(value) : value);
	const usable = (values: unknown[]): number[] =>
		values.filter((value): value is number => typeof value === 'number' && value >= spec.min && value <= spec.max).map(toSpace);
	const l = parzen(usable(good), space.low, space.high);
	const g = parzen(usable(bad), space.low, space.high);

	let best: number | undefined;
	let bestScore = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < candidates; i++) {
		let x = sampleParzen(l, rng);
		let value = space.log ? Math.exp(x) : x;
		if (space.int) {
			value = clamp(Math.round(value), spec.min, spec.max);
			x = toSpace(value);
		} else {
			// exp(log(max)) can land an ulp outside the range.
			value = clamp(value, spec.min, spec.max);
		}
		let score: number;
		if (space.int) {
			// Rounding maps a whole bin to one integer: compare the probability of that bin, not a density.
			const a = space.log ? Math.log(Math.max(value - 0.5, spec.min - 0.5)) : value - 0.5;
			const b = space.log ? Math.log(value + 0.5) : value + 0.5;
			score = logBinMass(l, a, b) - logBinMass(g, a, b);
		} else {
			score = logDensity(l, x) - logDensity(g, x);
		}
		if (best === undefined || score > bestScore) {
			best = value;
			bestScore = score;
		}
	}
	return best as number;
}

/**
 * Optuna's univariate Parzen estimator: one Gaussian per observation plus a wide prior at the centre; each
 * bandwidth is the larger gap to its sorted neighbours, clipped to [range / min(100, 1 + kernels), range].
 */
function parzen(observations: number[], low: number, high: number): Parzen {
	const range = high - low;
	const mus = [...observations, (low + high) / 2];
	const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
	const sorted = [low, ...order.map((i) => mus[i]), high];
	const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]));
	// consider_endpoints=False: the outermost kernels look only inwards, not at the distance to the bound.
	if (sorted.length >= 4) {
		sortedSigmas[0] = sorted[2] - sorted[1];
		sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
	}
	const sigmas = new Array<number>(mus.length);
	for (const [j, i] of order.entries()) {
		sigmas[i] = sortedSigmas[j];
	}
	const minSigma = range / Math.min(100, 1 + mus.length);
	for (let i = 0; i < sigmas.length; i++) {
		sigmas[i] = clamp(sigmas[i], minSigma, range);
	}
	sigmas[sigmas.length - 1] = range;
	const raw = [...defaultWeights(observations.length), PRIOR_WEIGHT];
	const total = raw.reduce((sum, w) => sum + w, 0);
	return {mus, sigmas, weights: raw.map((w) => w / total), low, high};
}

function sampleParzen(estimator: Parzen, rng: Rng): number {
	const k = drawIndex(estimator.weights, rng);
	const mu = estimator.mus[k];
	const sigma = estimator.sigmas[k];
	// Every kernel centre lies inside [low, high] and sigma <= the range, so at least a third of the mass is inside:
	// rejection ends fast. The cap only guards against a pathological stream.
	for (let attempt = 0; attempt < 1000; attempt++) {
		const x = mu + sigma * standardNormal(rng);
		if (x >= estimator.low && x <= estimator.high) {
			return x;
		}
	}
	return clamp(mu, estimator.low, estimator.high);
}

function standardNormal(rng: Rng): number {
	// Box-Muller; 1 - next() is in (0, 1], so the log is finite.
	const u = 1 - rng.next();
	const v = rng.next();
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Log density of the truncated mixture at x (in the transformed space). */
function logDensity(estimator: Parzen, x: number): number {
	const terms = estimator.mus.map((mu, i) => {
		const sigma = estimator.sigmas[i];
		const z = (x - mu) / sigma;
		const mass = normalMass((estimator.low - mu) / sigma, (estimator.high - mu) / sigma);
		return Math.log(estimator.weights[i]) - 0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - Math.log(mass);
	});
	return logSumExp(terms);
}

/** Log of the mixture's probability of [a, b] (in the transformed space). */
function logBinMass(estimator: Parzen, a: number, b: number): number {
	const terms = estimator.mus.map((mu, i) => {
		const sigma = estimator.sigmas[i];
		const truncation = normalMass((estimator.low - mu) / sigma, (estimator.high - mu) / sigma);
		const za = (a - mu) / sigma;
		const zb = (b - mu) / sigma;
		const mass = normalMass(za, zb);
		// Far in a tail the difference of two CDFs underflows; the midpoint density times the width is then exact enough.
		const logMass = mass > 1e-12 ? Math.log(mass) : -0.5 * ((za + zb) / 2) ** 2 - LOG_SQRT_2PI + Math.log(zb - za);
		return Math.log(estimator.weights[i]) + logMass - Math.log(truncation);
	});
	return logSumExp(terms);
}

function logSumExp(terms: number[]): number {
	const max = Math.max(...terms);
	if (!Number.isFinite(max)) {
		return max;
	}
	let sum = 0;
	for (const term of terms) {
		sum += Math.exp(term - max);
	}
	return max + Math.log(sum);
}

/** P(za <= Z <= zb) for a standard normal Z, computed from the nearer tail to keep precision. */
function normalMass(za: number, zb: number): number {
	if (za >= 0) {
		return 0.5 * (erfc(za / Math.SQRT2) - erfc(zb / Math.SQRT2));
	}
	if (zb <= 0) {
		return 0.5 * (erfc(-zb / Math.SQRT2) - erfc(-za / Math.SQRT2));
	}
	return 1 - 0.5 * erfc(-za / Math.SQRT2) - 0.5 * erfc(zb / Math.SQRT2);
}

/** Complementary error function with relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc). */
function erfc(x: number): number {
	const z = Math.abs(x);
	const t = 1 / (1 + 0.5 * z);
	const r =
		t *
		Math.exp(
			-z * z -
				1.26551223 +
				t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
		);
	return x >= 0 ? r : 2 - r;
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, value));
}
