/**
 * Tree-structured Parzen Estimator sampling (Bergstra et al. 2011), following Optuna's independent
 * TPESampler: per parameter, the observations are split into a good group (the best gamma(n)) and a bad
 * group; each group becomes a Parzen estimator (l for good, g for bad), candidates are drawn from l and the
 * one with the highest l(x)/g(x) wins. A pure function of its input: the run loop owns the trial history.
 */
import type {ParameterSpec} from '../types.js';
import {erfc} from '../util/erfc.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Rng} from '../util/random.js';
import {sampleParameter} from './expand.js';
import {canonicalJson} from './hash.js';

export interface TpeObservation {
	params: Record<string, unknown>;
	/** The objective; NaN (a diverged trial) ranks worst whatever the direction. */
	value: number;
	/**
	 * Set for a trial stopped before its last epoch (pruned, timed out): the epochs it ran. As Optuna ranks
	 * pruned trials, such a trial ranks after every trial that finished, those that got further first, then by value.
	 */
	stoppedAt?: number;
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
	/** Size of the good group for n observations (pending trials not counted, as in Optuna); Optuna's default min(ceil(0.1 n), 25). */
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

/**
 * Good and bad parameter sets, each oldest first. Finished trials rank by value, then trials stopped early by how far
 * they got and by value (Optuna's (-step, value) order for pruned trials); pending trials always go to the bad group,
 * as Optuna's constant liar ranks running trials after everything, and do not count towards gamma's n.
 */
function splitObservations(input: TpeInput): {below: Array<Record<string, unknown>>; above: Array<Record<string, unknown>>} {
	const sign = input.direction === 'maximize' ? -1 : 1;
	const order = input.observations.map((observation, index) => ({
		index,
		stage: observation.stoppedAt === undefined ? Number.NEGATIVE_INFINITY : -observation.stoppedAt,
		key: Number.isNaN(observation.value) ? Number.POSITIVE_INFINITY : sign * observation.value,
	}));
	// Ties keep the older trial first; NaN keys sort after every number, including -Infinity * sign.
	order.sort((a, b) => (a.stage === b.stage ? (a.key === b.key ? a.index - b.index : (a.key < b.key ? -1 : 1)) : (a.stage < b.stage ? -1 : 1)));
	const gamma = input.gamma ?? defaultGamma;
	const nBelow = clamp(Math.floor(gamma(input.observations.length)), 0, input.observations.length);
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
	const l = categoricalProbabilities(values, good);
	const g = categoricalProbabilities(values, bad);
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
 * Optuna's categorical Parzen estimator, collapsed to one probability per listed value: each observation is a
 * kernel putting weight 1 on its value and prior_weight / (kernels) on every value (so the smoothing fades as
 * evidence grows); the prior kernel is uniform; kernels are mixed with the same weights as numeric ones.
 * Observed values are matched by canonical JSON; values not in the list are ignored.
 */
export function categoricalProbabilities(values: readonly unknown[], observed: readonly unknown[]): number[] {
	const indexOf = new Map<string, number>();
	for (const [index, value] of values.entries()) {
		const key = canonicalJson(value);
		if (!indexOf.has(key)) {
			indexOf.set(key, index);
		}
	}
	const k = values.length;
	const indices: number[] = [];
	for (const value of observed) {
		const index = value === undefined ? undefined : indexOf.get(canonicalJson(value));
		if (index !== undefined) {
			indices.push(index);
		}
	}
	const weights = mixtureWeights(indices.length);
	const fill = PRIOR_WEIGHT / (indices.length + 1);
	const rowSum = 1 + fill * k;
	const probabilities = new Array<number>(k).fill(0);
	for (const [i, index] of indices.entries()) {
		for (let c = 0; c < k; c++) {
			probabilities[c] += (weights[i] * fill) / rowSum;
		}
		probabilities[index] += weights[i] / rowSum;
	}
	const priorShare = weights[weights.length - 1];
	for (let c = 0; c < k; c++) {
		probabilities[c] += priorShare / k;
	}
	return probabilities;
}

/** defaultWeights for the observations plus the prior's weight last, normalised to sum 1 (Optuna's _calculate_weights). */
function mixtureWeights(n: number): number[] {
	const raw = [...defaultWeights(n), PRIOR_WEIGHT];
	const total = raw.reduce((sum, w) => sum + w, 0);
	return raw.map((w) => w / total);
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

/** A mixture of truncated Gaussians in the parameter's transformed space (log space for the log kinds). */
export interface Parzen {
	mus: number[];
	sigmas: number[];
	/** Normalised mixture weights; the prior's is last. */
	weights: number[];
	/** The truncation interval. */
	low: number;
	high: number;
	/** log(weight / mass inside [low, high]) per kernel. */
	logKernelWeights: number[];
}

/** l(x) or g(x) for one numeric parameter, with what maps its values into the estimator's space. */
export interface NumericModel {
	spec: NumericSpec;
	estimator: Parzen;
	log: boolean;
	/**
	 * Integers are scored by the mixture's mass over the bin that rounds to the value ([v - 0.5, v + 0.5], in log
	 * space for log-int), continuous values by the density. Optuna 3.1 scored a log-int by the density at log(v);
	 * Optuna fixed that in 2025 (PR #6258) to the bin mass, which sweeplab has always used.
	 */
	integer: boolean;
}

/**
 * Optuna's bounds: log kinds work in log space; integer kinds widen the interval by half a step each side
 * (log-int: log(min - 0.5) .. log(max + 0.5)) so that the end values get whole bins.
 */
function domain(spec: NumericSpec): {low: number; high: number; log: boolean; integer: boolean} {
	switch (spec.kind) {
		case 'uniform': {
			return {low: spec.min, high: spec.max, log: false, integer: false};
		}
		case 'log-uniform': {
			return {low: Math.log(spec.min), high: Math.log(spec.max), log: true, integer: false};
		}
		case 'int-uniform': {
			return {low: spec.min - 0.5, high: spec.max + 0.5, log: false, integer: true};
		}
		case 'log-int-uniform': {
			return {low: Math.log(spec.min - 0.5), high: Math.log(spec.max + 0.5), log: true, integer: true};
		}
	}
}

/** The Parzen estimator of the observed values (those that are numbers inside the space; others are ignored). */
export function fitNumeric(spec: NumericSpec, observed: readonly unknown[]): NumericModel {
	const space = domain(spec);
	const values = observed
		.filter((value): value is number => typeof value === 'number' && value >= spec.min && value <= spec.max)
		.map((value) => (space.log ? Math.log(value) : value));
	return {spec, estimator: parzen(values, space.low, space.high), log: space.log, integer: space.integer};
}

/**
 * The log of l(value) or g(value), in the parameter's own units: Optuna's _ParzenEstimator.log_pdf with two of its
 * later fixes, a truncated Gaussian's density divided by its sigma (Optuna 3.1 left that out; fixed in PR #5110,
 * Optuna 3.5) and a log-scaled integer's bin mass (PR #6258).
 */
export function numericLogPdf(model: NumericModel, value: number): number {
	const toSpace = (v: number): number => (model.log ? Math.log(v) : v);
	if (!model.integer) {
		return logDensity(model.estimator, toSpace(value));
	}
	const {low, high} = model.estimator;
	return logBinMass(model.estimator, Math.max(toSpace(value - 0.5), low), Math.min(toSpace(value + 0.5), high));
}

/** A draw from the mixture mapped back to the parameter: exp for log kinds, then rounding and clipping for integers. */
function sampleNumeric(model: NumericModel, rng: Rng): number {
	const x = sampleParzen(model.estimator, rng);
	const value = model.log ? Math.exp(x) : x;
	// exp(log(max)) can land an ulp outside the range; Optuna clips integers only, sweeplab keeps every value in its range.
	return clamp(model.integer ? Math.round(value) : value, model.spec.min, model.spec.max);
}

function suggestNumeric(spec: NumericSpec, good: unknown[], bad: unknown[], candidates: number, rng: Rng): number {
	const l = fitNumeric(spec, good);
	const g = fitNumeric(spec, bad);
	let best: number | undefined;
	let bestScore = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < candidates; i++) {
		const value = sampleNumeric(l, rng);
		const score = numericLogPdf(l, value) - numericLogPdf(g, value);
		if (best === undefined || score > bestScore) {
			best = value;
			bestScore = score;
		}
	}
	return best as number;
}

/**
 * Optuna's univariate Parzen estimator (consider_prior, prior_weight 1, consider_magic_clip, no
 * consider_endpoints): one Gaussian per observation plus a prior of sigma = range at the centre; each bandwidth
 * is the larger gap to its sorted neighbours (the outermost kernels look only inwards), clipped to
 * [range / min(100, 1 + kernels), range]. Exported for the tests that check it against Optuna's numbers.
 */
export function parzen(observations: readonly number[], low: number, high: number): Parzen {
	const range = high - low;
	const mus = [...observations, (low + high) / 2];
	const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
	const sorted = [low, ...order.map((i) => mus[i]), high];
	const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]));
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
	const weights = mixtureWeights(observations.length);
	return {mus, sigmas, weights, low, high, logKernelWeights: kernelLogWeights(mus, sigmas, weights, low, high)};
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
	const {mus, sigmas, logKernelWeights} = estimator;
	const terms = new Float64Array(mus.length);
	for (let i = 0; i < mus.length; i++) {
		const z = (x - mus[i]) / sigmas[i];
		terms[i] = logKernelWeights[i] - 0.5 * z * z - LOG_SQRT_2PI - Math.log(sigmas[i]);
	}
	return logSumExp(terms);
}

/** Log of the mixture's probability of [a, b] (in the transformed space). */
function logBinMass(estimator: Parzen, a: number, b: number): number {
	const {mus, sigmas, logKernelWeights} = estimator;
	const terms = new Float64Array(mus.length);
	for (let i = 0; i < mus.length; i++) {
		const za = (a - mus[i]) / sigmas[i];
		const zb = (b - mus[i]) / sigmas[i];
		const mass = normalMass(za, zb);
		// Far in a tail the difference of two CDFs underflows; the midpoint density times the width is then exact enough.
		const logMass = mass > 1e-300 ? Math.log(mass) : -0.5 * ((za + zb) / 2) ** 2 - LOG_SQRT_2PI + Math.log(zb - za);
		terms[i] = logKernelWeights[i] + logMass;
	}
	return logSumExp(terms);
}

/** log(weight / truncated mass) per kernel: fixed for an estimator, so computed once rather than per candidate. */
function kernelLogWeights(mus: readonly number[], sigmas: readonly number[], weights: readonly number[], low: number, high: number): number[] {
	return mus.map((mu, i) => Math.log(weights[i]) - Math.log(normalMass((low - mu) / sigmas[i], (high - mu) / sigmas[i])));
}

function logSumExp(terms: Float64Array): number {
	let max = Number.NEGATIVE_INFINITY;
	for (const term of terms) {
		max = Math.max(max, term);
	}
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

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, value));
}
