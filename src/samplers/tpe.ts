/**
 * Tree-structured Parzen Estimator sampling (Bergstra et al. 2011), following Optuna's independent
 * TPESampler: per parameter, the observations are split into a good group (the best gamma(n)) and a bad
 * group; each group becomes a Parzen estimator (l for good, g for bad), candidates are drawn from l and the
 * one with the highest l(x)/g(x) wins; with `multivariate` (single-objective TPE's default), joint estimators over the
 * parameters (per group of parameters that appear together, in a space with conditional parameters: Optuna's
 * group=True). A conditional parameter is fitted on the trials it applied to and suggested only where its condition holds.
 * docs/search.md lists, item by item, where this follows Optuna 3.1 and where it does not (and why).
 * A pure function of its input: the run loop owns the trial history.
 */
import type {ParameterSpec} from '../types.js';
import {erfc} from '../util/erfc.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Rng} from '../util/random.js';
import {randomParameters} from '../sweep/expand.js';
import {activeParams, hasConditions} from '../sweep/conditions.js';
import {canonicalJson} from '../sweep/hash.js';

export interface TpeObservation {
	/** The parameters that applied to the trial (a conditional parameter that did not apply is absent). */
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
	/**
	 * Multivariate TPE (the default; false: one estimator per parameter, Optuna's default): joint Parzen estimators, each
	 * kernel a product over the parameters, so that parameters that work together are sampled together. Unlike Optuna's
	 * multivariate=True (one Scott-like bandwidth for every kernel), each observation keeps the per-parameter bandwidths
	 * the independent estimator gives it, and the numbers and the listed values are separate joint blocks (see
	 * TpeGroups.estimators). In a space with conditions, Optuna's group=True: one joint estimator per group of parameters
	 * that always appeared together (parameterGroups), each fitted on the trials that had the group.
	 */
	multivariate?: boolean;
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
	if (input.observations.length < input.startupTrials) {
		return randomParameters(input.parameters, rng);
	}

	const {below, above} = splitObservations(input);
	const multivariate = input.multivariate !== false;
	const groups = multivariate ? parameterGroups(input.parameters, input.observations.map((observation) => observation.params)) : undefined;
	return suggestFromGroups({parameters: input.parameters, below, above, candidates, multivariate, groups, estimators: 'sweeplab'}, rng);
}

/** The good and bad groups TPE builds l(x) and g(x) from, and how it draws from them. */
export interface TpeGroups {
	parameters: Record<string, ParameterSpec>;
	below: ReadonlyArray<Record<string, unknown>>;
	/**
	 * Raw weight of each good observation in l(x) (before the prior's is added and all are normalised): multi-objective
	 * TPE's hypervolume contributions. Absent, Optuna's default_weights.
	 */
	belowWeights?: readonly number[];
	above: ReadonlyArray<Record<string, unknown>>;
	candidates: number;
	multivariate: boolean;
	/** With multivariate: the groups sampled jointly (parameterGroups); absent, all parameters together. */
	groups?: ReadonlyArray<readonly string[]>;
	/**
	 * 'sweeplab' (single-objective TPE): a numeric parameter's g(x) weighted by bandwidth (coverage(), jointCoverage());
	 * jointly, every observation keeps its own per-parameter bandwidths (the gaps to its neighbours, as the independent
	 * estimator has them), and a group's numbers and listed values are drawn as two joint blocks. Listed values have no
	 * bandwidth, so their g(x) is Optuna's. 'optuna' (multi-objective TPE, where coverage measured worse): Optuna 3.1's
	 * estimators. docs/search.md has the measurements behind both.
	 */
	estimators: 'sweeplab' | 'optuna';
}

/**
 * The TPE step once the history is split: per parameter (or jointly per group, with multivariate), `candidates` draws
 * from l(x), and the one with the highest l(x)/g(x). Groups are drawn in order, then the parameters in no group in
 * sorted-name order, all from `rng`. Every parameter is drawn and those whose condition fails for the drawn values are
 * then left out (Optuna's group sampling draws every group too); as each parameter or group is drawn on its own, this
 * gives the values that drawing only the parameters that apply would.
 */
export function suggestFromGroups(groups: TpeGroups, rng: Rng): Record<string, unknown> {
	const {parameters, below, above, candidates, belowWeights, estimators} = groups;
	const names = Object.keys(parameters).sort();
	const result: Record<string, unknown> = {};
	let independent = names;
	if (groups.multivariate) {
		const joint = groups.groups ?? [names];
		for (const group of joint) {
			for (const block of estimators === 'sweeplab' ? kindBlocks(parameters, group) : [group]) {
				Object.assign(result, suggestJoint(parameters, block, below, above, candidates, rng, estimators, belowWeights));
			}
		}
		const grouped = new Set(joint.flat());
		// A parameter no finished trial had yet (Optuna samples it independently, from the prior alone).
		independent = names.filter((name) => !grouped.has(name));
	}
	for (const name of independent) {
		const spec = parameters[name];
		const good = below.map((params) => params[name]);
		const bad = above.map((params) => params[name]);
		result[name] = spec.kind === 'values' ? suggestCategorical(spec.values, good, bad, candidates, rng, belowWeights) : suggestNumeric(spec, good, bad, candidates, rng, estimators === 'sweeplab', belowWeights);
	}
	return activeParams(parameters, result);
}

/**
 * A group's numeric parameters, then its listed ones, as separate joint blocks (those that exist). In one block with the
 * numbers, whose kernels are narrow, a candidate's score is decided by how close its numbers are to a good trial's, and
 * the listed values ride along: on the bench's mixed-hpo the best config of 133 seeds in 300 kept a wrong layer width
 * from the first good trials (152 with g(x) weighted by coverage; 6 for independent TPE). In a block of their own,
 * scored by their own l(x)/g(x) with Optuna's g(x), 3 in 300.
 */
function kindBlocks(parameters: Record<string, ParameterSpec>, group: readonly string[]): string[][] {
	const numeric = group.filter((name) => parameters[name].kind !== 'values');
	const listed = group.filter((name) => parameters[name].kind === 'values');
	return [numeric, listed].filter((block) => block.length > 0);
}

/**
 * The groups multivariate TPE samples jointly: without conditions, all parameters (every trial has all of them); with
 * conditions, Optuna's group decomposition (_SearchSpaceGroup.add_distributions, as TPESampler(group=True) runs it over
 * the finished trials): each trial's parameter set splits every group into the part it has and the part it lacks,
 * and its parameters in no group yet form a new one. So a group is a set of parameters that every trial had all or none
 * of. Names sorted within a group, groups by their first name; parameters no trial had are in no group.
 */
export function parameterGroups(parameters: Record<string, ParameterSpec>, observed: ReadonlyArray<Record<string, unknown>>): string[][] {
	const names = Object.keys(parameters).sort();
	if (!hasConditions(parameters)) {
		return [names];
	}
	let groups: Array<Set<string>> = [];
	for (const params of observed) {
		let present = new Set(names.filter((name) => Object.hasOwn(params, name)));
		const next: Array<Set<string>> = [];
		for (const group of groups) {
			next.push(new Set([...group].filter((name) => present.has(name))), new Set([...group].filter((name) => !present.has(name))));
			present = new Set([...present].filter((name) => !group.has(name)));
		}
		next.push(present);
		groups = next.filter((group) => group.size > 0);
	}
	return groups.map((group) => [...group].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
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

function suggestCategorical(values: unknown[], good: unknown[], bad: unknown[], candidates: number, rng: Rng, goodWeights?: readonly number[]): unknown {
	const l = categoricalProbabilities(values, good, goodWeights);
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
 * kernel putting weight 1 on its value and prior_weight / (observations + 1) on every value (so the smoothing fades as
 * evidence grows); the prior kernel is uniform; kernels are mixed with the same weights as numeric ones.
 * Observed values are matched by canonical JSON; values not in the list are ignored. `rawWeights` (one per observed
 * value) replace default_weights, as multi-objective TPE's do.
 */
export function categoricalProbabilities(values: readonly unknown[], observed: readonly unknown[], rawWeights?: readonly number[]): number[] {
	const indexOf = valueIndex(values);
	const k = values.length;
	const indices: number[] = [];
	const kept: number[] = [];
	for (const [i, value] of observed.entries()) {
		const index = value === undefined ? undefined : indexOf.get(canonicalJson(value));
		if (index !== undefined) {
			indices.push(index);
			kept.push(i);
		}
	}
	const weights = mixtureWeights(indices.length, rawWeights && kept.map((i) => rawWeights[i]));
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

/** Each listed value's position by canonical JSON (the first, should two be equal), so that {a, b} and {b, a} match. */
function valueIndex(values: readonly unknown[]): Map<string, number> {
	const indexOf = new Map<string, number>();
	for (const [index, value] of values.entries()) {
		const key = canonicalJson(value);
		if (!indexOf.has(key)) {
			indexOf.set(key, index);
		}
	}
	return indexOf;
}

/**
 * defaultWeights (or the given raw weights) for the observations plus the prior's weight last, normalised to sum 1
 * (Optuna's _calculate_weights).
 */
function mixtureWeights(n: number, observationWeights?: readonly number[]): number[] {
	const raw = [...(observationWeights ?? defaultWeights(n)), PRIOR_WEIGHT];
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

// ---- multivariate ---------------------------------------------------------------------------------------

/** Optuna's SIGMA0_MAGNITUDE: the multivariate bandwidth is 0.2 n^(-1 / (d + 4)) of each parameter's range (Scott's rule as in BOHB). */
const SIGMA0_MAGNITUDE = 0.2;

type JointPart =
	| {name: string; kind: 'numeric'; model: NumericModel}
	| {name: string; kind: 'categorical'; values: unknown[]; indexOf: Map<string, number>; rows: number[][]};

/** Kernel i of the joint estimator is the product of kernel i of every part; the last kernel is the prior. */
export interface JointModel {
	weights: number[];
	logWeights: number[];
	parts: JointPart[];
}

/**
 * The joint estimator over `names`. Bandwidths 'scott' are Optuna's (one per parameter for every kernel:
 * SIGMA0_MAGNITUDE n^(-1/(d+4)) of the range, then the magic clip); 'neighbour' gives each kernel, per parameter, the
 * bandwidth the independent estimator gives it (the larger gap to its neighbours, clipped the same way).
 */
export function fitJoint(
	parameters: Record<string, ParameterSpec>,
	names: readonly string[],
	observations: ReadonlyArray<Record<string, unknown>>,
	bandwidths: 'scott' | 'neighbour',
	rawWeights?: readonly number[],
): JointModel {
	const keys = new Map(names.map((name) => {
		const spec = parameters[name];
		return [name, spec.kind === 'values' ? new Set(spec.values.map((value) => canonicalJson(value))) : undefined];
	}));
	const kept = observations.flatMap((params, i) => (names.every((name) => inSpace(parameters[name], params[name], keys.get(name))) ? [i] : []));
	const usable = kept.map((i) => observations[i]);
	const n = usable.length;
	const bandwidth = bandwidths === 'scott' ? SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (names.length + 4)) : undefined;
	const weights = mixtureWeights(n, rawWeights && kept.map((i) => rawWeights[i]));
	const parts = names.map((name): JointPart => {
		const spec = parameters[name];
		const observed = usable.map((params) => params[name]);
		if (spec.kind !== 'values') {
			return {name, kind: 'numeric', model: fitNumeric(spec, observed, bandwidth)};
		}
		const indexOf = valueIndex(spec.values);
		// As the univariate estimator, kernel by kernel: weight 1 on the observed value and prior_weight / (n + 1) on every value.
		const k = spec.values.length;
		const fill = PRIOR_WEIGHT / (n + 1);
		const rows = observed.map((value) => {
			const row = new Array<number>(k).fill(fill / (1 + fill * k));
			row[indexOf.get(canonicalJson(value))!] += 1 / (1 + fill * k);
			return row;
		});
		rows.push(new Array<number>(k).fill(1 / k));
		return {name, kind: 'categorical', values: spec.values, indexOf, rows};
	});
	return {weights, logWeights: weights.map((w) => Math.log(w)), parts};
}

/**
 * coverage() for a joint estimator over numbers: a kernel's width is the product of its bandwidths, the volume it
 * spreads over.
 */
function jointCoverage(model: JointModel): JointModel {
	const widths = model.weights.map((_, i) => model.parts.reduce((product, part) => product * (part.kind === 'numeric' ? part.model.estimator.sigmas[i] : 1), 1));
	const weights = coveredWeights(model.weights, widths);
	return {...model, weights, logWeights: weights.map((w) => Math.log(w))};
}

/** One joint draw: a kernel, then every parameter from that kernel. */
function sampleJoint(model: JointModel, rng: Rng): unknown[] {
	const kernel = drawIndex(model.weights, rng);
	return model.parts.map((part) => (part.kind === 'numeric' ? sampleNumeric(part.model, rng, kernel) : drawIndex(part.rows[kernel], rng)));
}

/** log of the joint density (numbers) or mass (integers, listed values) at a candidate, in sampleJoint's encoding. */
function jointLogPdf(model: JointModel, candidate: readonly unknown[], canonical: readonly string[]): number {
	const terms = new Float64Array(model.weights.length);
	for (let i = 0; i < terms.length; i++) {
		let sum = model.logWeights[i];
		for (const [p, part] of model.parts.entries()) {
			sum += part.kind === 'numeric' ? kernelLogPdf(part.model, i, candidate[p] as number) : Math.log(part.rows[i][part.indexOf.get(canonical[p])!]);
		}
		terms[i] = sum;
	}
	return logSumExp(terms);
}

/** The joint estimator's log density at one config (listed values matched by canonical JSON): for tests against Optuna. */
export function jointLogPdfAt(model: JointModel, params: Record<string, unknown>): number {
	const canonical = model.parts.map((part) => (part.kind === 'categorical' ? canonicalJson(params[part.name]) : ''));
	const encoded = model.parts.map((part, p) => (part.kind === 'categorical' ? part.indexOf.get(canonical[p]) : params[part.name]));
	return jointLogPdf(model, encoded, canonical);
}

function suggestJoint(
	parameters: Record<string, ParameterSpec>,
	names: readonly string[],
	below: ReadonlyArray<Record<string, unknown>>,
	above: ReadonlyArray<Record<string, unknown>>,
	candidates: number,
	rng: Rng,
	estimators: TpeGroups['estimators'],
	belowWeights?: readonly number[],
): Record<string, unknown> {
	const bandwidths = estimators === 'sweeplab' ? 'neighbour' : 'scott';
	const l = fitJoint(parameters, names, below, bandwidths, belowWeights);
	const fitted = fitJoint(parameters, names, above, bandwidths);
	const g = estimators === 'sweeplab' && names.every((name) => parameters[name].kind !== 'values') ? jointCoverage(fitted) : fitted;
	let best: unknown[] | undefined;
	let bestScore = Number.NEGATIVE_INFINITY;
	for (let c = 0; c < candidates; c++) {
		const draw = sampleJoint(l, rng);
		// Listed values are drawn as indices; both estimators look them up by canonical JSON.
		const canonical = draw.map((x, p) => {
			const part = l.parts[p];
			return part.kind === 'categorical' ? canonicalJson(part.values[x as number]) : '';
		});
		const score = jointLogPdf(l, draw, canonical) - jointLogPdf(g, draw, canonical);
		if (best === undefined || score > bestScore) {
			best = draw;
			bestScore = score;
		}
	}
	return Object.fromEntries(l.parts.map((part, p) => [part.name, part.kind === 'numeric' ? best![p] : structuredClone(part.values[best![p] as number])]));
}

// ---- numeric --------------------------------------------------------------------------------------------

type NumericSpec = Exclude<ParameterSpec, {kind: 'values'}>;

/** A mixture of truncated Gaussians in the parameter's transformed space (log space for the log kinds). */
export interface Parzen {
	mus: number[];
	sigmas: number[];
	/** Normalised mixture weights; the prior's is last. */
	weights: number[];
	logWeights: number[];
	/** The truncation interval. */
	low: number;
	high: number;
	/** Per kernel, the log of its Gaussian's mass inside [low, high]: fixed for an estimator, so computed once. */
	logMasses: number[];
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

/**
 * The Parzen estimator of the observed values (those that are numbers inside the space; others are ignored), with
 * `rawWeights` (one per observed value) in place of default_weights if given.
 */
export function fitNumeric(spec: NumericSpec, observed: readonly unknown[], bandwidth?: number, rawWeights?: readonly number[]): NumericModel {
	const space = domain(spec);
	const kept = observed.flatMap((value, i) => (inSpace(spec, value) ? [i] : []));
	const values = kept.map((i) => (space.log ? Math.log(observed[i] as number) : (observed[i] as number)));
	const sigma = bandwidth === undefined ? undefined : bandwidth * (space.high - space.low);
	const weights = rawWeights && kept.map((i) => rawWeights[i]);
	return {spec, estimator: parzen(values, space.low, space.high, sigma, weights), log: space.log, integer: space.integer};
}

/** Whether a value lies in a parameter's space: a number within its bounds, or one of its listed values (by canonical JSON). */
export function inParameterSpace(spec: ParameterSpec, value: unknown): boolean {
	return inSpace(spec, value, spec.kind === 'values' ? new Set(spec.values.map((listed) => canonicalJson(listed))) : undefined);
}

function inSpace(spec: ParameterSpec, value: unknown, keys?: Set<string>): boolean {
	if (spec.kind === 'values') {
		return value !== undefined && keys!.has(canonicalJson(value));
	}
	return typeof value === 'number' && value >= spec.min && value <= spec.max;
}

/** log l(value) or log g(value) of kernel i alone (its mixture weight left out). */
function kernelLogPdf(model: NumericModel, i: number, value: number): number {
	const toSpace = (v: number): number => (model.log ? Math.log(v) : v);
	const {low, high} = model.estimator;
	return model.integer
		? kernelLogBinMass(model.estimator, i, Math.max(toSpace(value - 0.5), low), Math.min(toSpace(value + 0.5), high))
		: kernelLogDensity(model.estimator, i, toSpace(value));
}

/**
 * The log of l(value) or g(value), in the parameter's own units: Optuna's _ParzenEstimator.log_pdf with two of its
 * later fixes, a truncated Gaussian's density divided by its sigma (Optuna 3.1 left that out; fixed in PR #5110,
 * Optuna 3.5) and a log-scaled integer's bin mass (PR #6258).
 */
export function numericLogPdf(model: NumericModel, value: number): number {
	const {logWeights} = model.estimator;
	const terms = new Float64Array(logWeights.length);
	for (let i = 0; i < logWeights.length; i++) {
		terms[i] = logWeights[i] + kernelLogPdf(model, i, value);
	}
	return logSumExp(terms);
}

/** A draw from the mixture (or from kernel `kernel` alone) mapped back to the parameter: exp for log kinds, then rounding and clipping for integers. */
function sampleNumeric(model: NumericModel, rng: Rng, kernel = drawIndex(model.estimator.weights, rng)): number {
	const x = sampleKernel(model.estimator, kernel, rng);
	const value = model.log ? Math.exp(x) : x;
	// exp(log(max)) can land an ulp outside the range; Optuna clips integers only, sweeplab keeps every value in its range.
	return clamp(model.integer ? Math.round(value) : value, model.spec.min, model.spec.max);
}

function suggestNumeric(spec: NumericSpec, good: unknown[], bad: unknown[], candidates: number, rng: Rng, coverBad: boolean, goodWeights?: readonly number[]): number {
	const l = fitNumeric(spec, good, undefined, goodWeights);
	const fitted = fitNumeric(spec, bad);
	const g = coverBad ? coverage(fitted) : fitted;
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
 * The share of g(x) (the bad group's estimator) that its prior kernel holds; see coverage().
 */
export const BAD_PRIOR_SHARE = 0.5;

/**
 * g(x) as single-objective TPE scores it, from Optuna's estimator of the bad group: each observation's kernel weighted by its
 * bandwidth as well as by its default weight, the observations together holding 1 - BAD_PRIOR_SHARE of the mixture
 * and the prior the rest. TPE draws most of its trials near good ones, so the bad group is dense where the search has
 * been, not where the objective is bad; a kernel's bandwidth is the gap to its neighbours, so weighting by it makes
 * g(x) measure how much of the space bad trials cover rather than how often the sampler went there (a crowded bad
 * trial no longer repels candidates from a good region more than an isolated one). Optuna 3.1 did much the same by
 * accident: its kernels' log densities lacked -log(sigma) (optuna#5109), which for g weights every kernel by its
 * bandwidth and leaves the prior about 40% of the mass; but it did the same to l(x), so l was scored with weights it
 * was not sampled with. docs/search.md gives the measurements, on the problems this was chosen on and four held out,
 * and for multi-objective TPE, where it measured worse and is not used.
 */
export function coverage(model: NumericModel): NumericModel {
	const weights = coveredWeights(model.estimator.weights, model.estimator.sigmas);
	return {...model, estimator: {...model.estimator, weights, logWeights: weights.map((w) => Math.log(w))}};
}

/** Mixture weights (the prior's last) times the kernels' widths, the observations renormalised to 1 - BAD_PRIOR_SHARE. */
function coveredWeights(weights: readonly number[], widths: readonly number[]): number[] {
	const observed = weights.length - 1;
	if (observed === 0) {
		return [...weights];
	}
	let total = 0;
	for (let i = 0; i < observed; i++) {
		total += weights[i] * widths[i];
	}
	return weights.map((w, i) => (i < observed ? ((w * widths[i]) / total) * (1 - BAD_PRIOR_SHARE) : BAD_PRIOR_SHARE));
}

/**
 * Optuna's univariate Parzen estimator (consider_prior, prior_weight 1, consider_magic_clip, no
 * consider_endpoints): one Gaussian per observation plus a prior of sigma = range at the centre; each bandwidth
 * is the larger gap to its sorted neighbours (the outermost kernels look only inwards), clipped to
 * [range / min(100, 1 + kernels), range]. Exported for the tests that check it against Optuna's numbers.
 * `rawWeights`, one per observation, replace default_weights (Optuna's predetermined_weights).
 */
export function parzen(observations: readonly number[], low: number, high: number, bandwidth?: number, rawWeights?: readonly number[]): Parzen {
	const range = high - low;
	const mus = [...observations, (low + high) / 2];
	const sigmas = bandwidth === undefined ? neighbourBandwidths(mus, low, high) : mus.map(() => bandwidth);
	const minSigma = range / Math.min(100, 1 + mus.length);
	for (let i = 0; i < sigmas.length; i++) {
		sigmas[i] = clamp(sigmas[i], minSigma, range);
	}
	sigmas[sigmas.length - 1] = range;
	const weights = mixtureWeights(observations.length, rawWeights);
	const logMasses = mus.map((mu, i) => Math.log(normalMass((low - mu) / sigmas[i], (high - mu) / sigmas[i])));
	return {mus, sigmas, weights, logWeights: weights.map((w) => Math.log(w)), low, high, logMasses};
}

/** Each kernel's larger gap to its sorted neighbours; the outermost kernels look only inwards (no consider_endpoints). */
function neighbourBandwidths(mus: readonly number[], low: number, high: number): number[] {
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
	return sigmas;
}

/** A draw from kernel k's Gaussian truncated to [low, high]. */
function sampleKernel(estimator: Parzen, k: number, rng: Rng): number {
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

/** Log density at x (in the transformed space) of kernel i truncated to [low, high]. */
function kernelLogDensity(estimator: Parzen, i: number, x: number): number {
	const z = (x - estimator.mus[i]) / estimator.sigmas[i];
	return -0.5 * z * z - LOG_SQRT_2PI - Math.log(estimator.sigmas[i]) - estimator.logMasses[i];
}

/** Log of kernel i's probability of [a, b] (in the transformed space), truncated to [low, high]. */
function kernelLogBinMass(estimator: Parzen, i: number, a: number, b: number): number {
	const za = (a - estimator.mus[i]) / estimator.sigmas[i];
	const zb = (b - estimator.mus[i]) / estimator.sigmas[i];
	const mass = normalMass(za, zb);
	// Far in a tail the difference of two CDFs underflows; the midpoint density times the width is then exact enough.
	const logMass = mass > 1e-300 ? Math.log(mass) : -0.5 * ((za + zb) / 2) ** 2 - LOG_SQRT_2PI + Math.log(zb - za);
	return logMass - estimator.logMasses[i];
}

function logSumExp(terms: Float64Array | number[]): number {
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
