/**
 * Which hyperparameters matter: fANOVA (Hutter, Hoos and Leyton-Brown 2014) over a random forest fitted to the
 * finished trials, as Optuna's FanovaImportanceEvaluator does. Each parameter's importance is the share of the
 * objective's variance (over the whole space, each parameter uniform on its range or its listed values) that its
 * main effect explains; a pair's is the share its interaction alone explains.
 *
 * Why fANOVA and not PED-ANOVA (Optuna's fast evaluator since 3.6): the question asked is "what share of the
 * objective's variance does each parameter explain, and which pair interacts", and that is exactly fANOVA's
 * decomposition, pairs included; PED-ANOVA measures how each parameter's distribution differs in the top quantile
 * of trials, a different quantity, with pairs only through joint density estimates. PED-ANOVA's speed matters at
 * 10,000 trials x 32 parameters; a sweep has tens to a few thousand trials and at most a dozen parameters, where a
 * 64-tree forest takes well under a second. And Debian's Optuna (3.1) ships fANOVA, so the two can be compared.
 */
import {UsageError} from '../errors.js';
import {canonicalJson} from '../sweep/hash.js';
import type {SweepData} from './data.js';
import type {ParameterSpec} from '../types.js';
import {createRng, type Rng} from '../util/random.js';

export interface ImportanceObservation {
	params: Record<string, unknown>;
	/** The objective; trials whose value is not finite are left out. */
	value: number;
}

export interface ImportanceOptions {
	/** Optuna's defaults: 64 trees of depth up to 64, bootstrap samples, every feature considered at each split. */
	trees?: number;
	maxDepth?: number;
	seed?: number;
}

export interface ParameterImportance {
	name: string;
	/** Share of the variance explained by this parameter alone, averaged over the trees: 0..1. */
	importance: number;
	/** Standard deviation of that share over the trees: how much the forest agrees. */
	std: number;
}

export interface ImportanceResult {
	/** Most important first; parameters that cannot vary (one value) are left out. */
	parameters: ParameterImportance[];
	/** The pair whose interaction explains the most variance beyond their main effects; undefined for fewer than two parameters. */
	topInteraction?: {names: [string, string]; importance: number};
	/** Configs the forest was fitted to. */
	trials: number;
	/** Set when the sweep had more configs than the forest takes: how many it had (the forest saw a random `trials` of them). */
	sampledFrom?: number;
}

/** A feature as the forest sees it: numeric in [0, 1], or a category index with a uniform measure over k values. */
type Feature = {name: string; kind: 'numeric'; encode(value: unknown): number | undefined} | {name: string; kind: 'categorical'; k: number; encode(value: unknown): number | undefined};

function featureOf(name: string, spec: ParameterSpec): Feature | undefined {
	if (spec.when !== undefined) {
		// A conditional parameter has no value in the trials it did not apply to (a built-in config holds the base
		// value there). Optuna's evaluators weigh only the parameters every trial has (the intersection search space),
		// and so does sweeplab.
		return undefined;
	}
	if (spec.kind === 'values') {
		const index = new Map<string, number>();
		for (const [i, value] of spec.values.entries()) {
			if (!index.has(canonicalJson(value))) {
				index.set(canonicalJson(value), i);
			}
		}
		if (index.size < 2) {
			return undefined;
		}
		return {name, kind: 'categorical', k: spec.values.length, encode: (value) => index.get(canonicalJson(value))};
	}
	if (spec.min === spec.max) {
		return undefined;
	}
	const log = spec.kind === 'log-uniform' || spec.kind === 'log-int-uniform';
	const integer = spec.kind === 'int-uniform' || spec.kind === 'log-int-uniform';
	// As TPE's bounds: an integer owns [v - 0.5, v + 0.5], so every integer has its share of the uniform measure.
	const low = integer ? spec.min - 0.5 : spec.min;
	const high = integer ? spec.max + 0.5 : spec.max;
	const t = (x: number): number => (log ? Math.log(x) : x);
	return {
		name,
		kind: 'numeric',
		encode(value) {
			if (typeof value !== 'number' || !(value >= spec.min && value <= spec.max)) {
				return undefined;
			}
			return (t(value) - t(low)) / (t(high) - t(low));
		},
	};
}

/**
 * fANOVA importances of the parameters of `parameters` over `observations`.
 * @throws UsageError when fewer than two finished trials with distinct configs and finite values remain.
 */
export function parameterImportance(parameters: Record<string, ParameterSpec>, observations: readonly ImportanceObservation[], options: ImportanceOptions = {}): ImportanceResult {
	const features = Object.keys(parameters)
		.sort()
		.map((name) => featureOf(name, parameters[name]))
		.filter((feature): feature is Feature => feature !== undefined);
	const rows: number[][] = [];
	const targets: number[] = [];
	const configs = new Set<string>();
	for (const observation of observations) {
		if (!Number.isFinite(observation.value)) {
			continue;
		}
		const row = features.map((feature) => feature.encode(observation.params[feature.name]));
		if (row.some((x) => x === undefined)) {
			continue;
		}
		rows.push(row as number[]);
		targets.push(observation.value);
		configs.add(canonicalJson(row));
	}
	if (configs.size < 2) {
		throw new UsageError(`parameter importance needs at least two finished configs with a finite objective, got ${configs.size}`);
	}
	if (features.length === 0) {
		return {parameters: [], trials: rows.length};
	}

	// A forest over thousands of configs costs quadratic time per pair of parameters; a random subset of that size
	// estimates shares of variance as well as all of them would, to within the spread the trees already show.
	const used = rows.length > MAX_FOREST_CONFIGS ? sampleWithoutReplacement(rows.length, MAX_FOREST_CONFIGS, createRng(options.seed ?? 0)) : rows.map((_, i) => i);
	const trees = options.trees ?? 64;
	const rng = createRng(options.seed ?? 0);
	const fitted: Tree[] = [];
	for (let t = 0; t < trees; t++) {
		const sample = Array.from({length: used.length}, () => used[rng.int(0, used.length - 1)]);
		const tree = analyse(features, growTree(features, rows, targets, sample, options.maxDepth ?? 64, rng));
		if (tree !== undefined) {
			fitted.push(tree);
		}
	}

	const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
	const std = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
	const mains = features.map((_, d) => fitted.map((tree) => tree.mains[d]));
	const result: ImportanceResult = {
		parameters: features.map((feature, d) => ({name: feature.name, importance: mean(mains[d]), std: std(mains[d])})).sort((a, b) => b.importance - a.importance || (a.name < b.name ? -1 : 1)),
		trials: used.length,
		...(used.length < rows.length && {sampledFrom: rows.length}),
	};
	// Pairs among the parameters that matter most on their own: every pair costs a grid per tree, and in
	// hyperparameter spaces an interaction between parameters that do nothing alone is rare.
	const top = result.parameters.slice(0, PAIR_CANDIDATES).map((p) => features.findIndex((feature) => feature.name === p.name)).sort((a, b) => a - b);
	let best: {names: [string, string]; importance: number} | undefined;
	for (const [i, d] of top.entries()) {
		for (const e of top.slice(i + 1)) {
			const importance = mean(fitted.map((tree) => pairShare(tree, d, e)));
			if (best === undefined || importance > best.importance) {
				best = {names: [features[d].name, features[e].name], importance};
			}
		}
	}
	if (best !== undefined) {
		result.topInteraction = best;
	}
	return result;
}

/** More configs than this are subsampled (seeded) before the forest is fitted. */
const MAX_FOREST_CONFIGS = 500;
/** Interactions are computed among this many parameters, those with the largest main effects. */
const PAIR_CANDIDATES = 6;

function sampleWithoutReplacement(n: number, k: number, rng: Rng): number[] {
	const indices = Array.from({length: n}, (_, i) => i);
	rng.shuffle(indices);
	return indices.slice(0, k).sort((a, b) => a - b);
}

// ---- the forest ------------------------------------------------------------------------------------------

/** A leaf's box: per feature, an interval of [0, 1] or a set of category indices; and the mean target inside. */
interface Leaf {
	intervals: Array<[number, number] | undefined>;
	categories: Array<Set<number> | undefined>;
	value: number;
}

function growTree(features: readonly Feature[], rows: readonly number[][], targets: readonly number[], sample: number[], maxDepth: number, rng: Rng): Leaf[] {
	const leaves: Leaf[] = [];
	const root: Leaf = {
		intervals: features.map((feature) => (feature.kind === 'numeric' ? [0, 1] : undefined)),
		categories: features.map((feature) => (feature.kind === 'categorical' ? new Set(Array.from({length: feature.k}, (_, i) => i)) : undefined)),
		value: 0,
	};
	const stack: Array<{box: Leaf; members: number[]; depth: number}> = [{box: root, members: sample, depth: 0}];
	while (stack.length > 0) {
		const {box, members, depth} = stack.pop()!;
		const split = depth < maxDepth && members.length >= 2 ? bestSplit(features, rows, targets, members, rng) : undefined;
		if (split === undefined) {
			box.value = members.reduce((sum, i) => sum + targets[i], 0) / members.length;
			leaves.push(box);
			continue;
		}
		const left: Leaf = {intervals: [...box.intervals], categories: [...box.categories], value: 0};
		const right: Leaf = {intervals: [...box.intervals], categories: [...box.categories], value: 0};
		const d = split.feature;
		if (split.threshold !== undefined) {
			const [lo, hi] = box.intervals[d]!;
			left.intervals[d] = [lo, split.threshold];
			right.intervals[d] = [split.threshold, hi];
		} else {
			left.categories[d] = new Set([...box.categories[d]!].filter((c) => split.left!.has(c)));
			right.categories[d] = new Set([...box.categories[d]!].filter((c) => !split.left!.has(c)));
		}
		const goesLeft = (i: number): boolean => (split.threshold !== undefined ? rows[i][d] < split.threshold : split.left!.has(rows[i][d]));
		stack.push({box: left, members: members.filter(goesLeft), depth: depth + 1}, {box: right, members: members.filter((i) => !goesLeft(i)), depth: depth + 1});
	}
	return leaves;
}

interface Split {
	feature: number;
	/** Numeric: x < threshold goes left. */
	threshold?: number;
	/** Categorical: these categories go left, all others (seen in this node or not) right. */
	left?: Set<number>;
	gain: number;
}

/** The split that most reduces the squared error (CART), over every feature; ties broken at random, as scikit-learn does by feature order. */
function bestSplit(features: readonly Feature[], rows: readonly number[][], targets: readonly number[], members: readonly number[], rng: Rng): Split | undefined {
	const order = features.map((_, d) => d);
	rng.shuffle(order);
	let best: Split | undefined;
	for (const d of order) {
		const candidate = features[d].kind === 'numeric' ? numericSplit(d, rows, targets, members) : categoricalSplit(d, rows, targets, members);
		if (candidate !== undefined && candidate.gain > 1e-12 && (best === undefined || candidate.gain > best.gain)) {
			best = candidate;
		}
	}
	return best;
}

/** Scan the sorted values: the gain of a split is n_l mean_l^2 + n_r mean_r^2 - n mean^2 (the drop in squared error). */
function numericSplit(d: number, rows: readonly number[][], targets: readonly number[], members: readonly number[]): Split | undefined {
	const sorted = [...members].sort((a, b) => rows[a][d] - rows[b][d]);
	const total = sorted.reduce((sum, i) => sum + targets[i], 0);
	const n = sorted.length;
	let leftSum = 0;
	let best: Split | undefined;
	for (let j = 0; j < n - 1; j++) {
		leftSum += targets[sorted[j]];
		const x = rows[sorted[j]][d];
		const next = rows[sorted[j + 1]][d];
		if (x === next) {
			continue;
		}
		const nl = j + 1;
		const gain = (leftSum * leftSum) / nl + ((total - leftSum) ** 2) / (n - nl) - (total * total) / n;
		if (best === undefined || gain > best.gain) {
			best = {feature: d, threshold: (x + next) / 2, gain};
		}
	}
	return best;
}

/** Categories ordered by their mean target, then split like a number (optimal for squared error: Breiman et al. 1984). */
function categoricalSplit(d: number, rows: readonly number[][], targets: readonly number[], members: readonly number[]): Split | undefined {
	const stats = new Map<number, {sum: number; count: number}>();
	for (const i of members) {
		const entry = stats.get(rows[i][d]) ?? {sum: 0, count: 0};
		entry.sum += targets[i];
		entry.count++;
		stats.set(rows[i][d], entry);
	}
	if (stats.size < 2) {
		return undefined;
	}
	const ordered = [...stats].sort((a, b) => a[1].sum / a[1].count - b[1].sum / b[1].count || a[0] - b[0]);
	const n = members.length;
	const total = ordered.reduce((sum, [, s]) => sum + s.sum, 0);
	let leftSum = 0;
	let leftCount = 0;
	let best: Split | undefined;
	for (let j = 0; j < ordered.length - 1; j++) {
		leftSum += ordered[j][1].sum;
		leftCount += ordered[j][1].count;
		const gain = (leftSum * leftSum) / leftCount + ((total - leftSum) ** 2) / (n - leftCount) - (total * total) / n;
		if (best === undefined || gain > best.gain) {
			best = {feature: d, left: new Set(ordered.slice(0, j + 1).map(([category]) => category)), gain};
		}
	}
	return best;
}

// ---- the functional ANOVA of one tree --------------------------------------------------------------------

/** How one feature's axis is cut into atoms by the tree, with each atom's measure and each leaf's atoms. */
interface Axis {
	widths: number[];
	/** Per leaf: the atoms it covers, as half-open runs [start, end). */
	runs: Array<Array<[number, number]>>;
	/** Per leaf: its measure along this axis. */
	extent: number[];
}

/** One tree ready for the decomposition: its leaves' values and volumes, the axes, f0, the variance, the main effects. */
interface Tree {
	leaves: readonly Leaf[];
	axes: Axis[];
	volume: number[];
	f0: number;
	total: number;
	/** Per feature: the marginal prediction a_d on each atom. */
	marginals: number[][];
	/** Per feature: its main effect's share of the tree's variance. */
	mains: number[];
}

function axisOf(feature: Feature, d: number, leaves: readonly Leaf[]): Axis {
	if (feature.kind === 'categorical') {
		return {
			widths: new Array<number>(feature.k).fill(1 / feature.k),
			runs: leaves.map((leaf) => [...leaf.categories[d]!].sort((a, b) => a - b).map((c): [number, number] => [c, c + 1])),
			extent: leaves.map((leaf) => leaf.categories[d]!.size / feature.k),
		};
	}
	const cuts = [...new Set(leaves.flatMap((leaf) => leaf.intervals[d]!))].sort((a, b) => a - b);
	const position = new Map(cuts.map((cut, i) => [cut, i]));
	return {
		widths: cuts.slice(1).map((cut, i) => cut - cuts[i]),
		runs: leaves.map((leaf) => [[position.get(leaf.intervals[d]![0])!, position.get(leaf.intervals[d]![1])!]]),
		extent: leaves.map((leaf) => leaf.intervals[d]![1] - leaf.intervals[d]![0]),
	};
}

/**
 * The tree's mean, variance and main effects over the whole space; undefined for a tree that predicts one value
 * everywhere. a_d(atom) is the tree's mean over every other feature with feature d in that atom: each leaf adds
 * value x (volume / extent along d) to the atoms it covers, through a difference array.
 */
function analyse(features: readonly Feature[], leaves: readonly Leaf[]): Tree | undefined {
	const axes = features.map((feature, d) => axisOf(feature, d, leaves));
	const volume = leaves.map((_, l) => axes.reduce((v, axis) => v * axis.extent[l], 1));
	const f0 = leaves.reduce((sum, leaf, l) => sum + leaf.value * volume[l], 0);
	const total = leaves.reduce((sum, leaf, l) => sum + volume[l] * (leaf.value - f0) ** 2, 0);
	if (!(total > 1e-12 * Math.max(1, f0 * f0))) {
		return undefined;
	}
	const marginals = axes.map((axis) => {
		const diff = new Float64Array(axis.widths.length + 1);
		for (const [l, leaf] of leaves.entries()) {
			const contribution = leaf.value * (volume[l] / axis.extent[l]);
			for (const [start, end] of axis.runs[l]) {
				diff[start] += contribution;
				diff[end] -= contribution;
			}
		}
		const a = new Array<number>(axis.widths.length);
		let running = 0;
		for (let s = 0; s < a.length; s++) {
			running += diff[s];
			a[s] = running;
		}
		return a;
	});
	const mains = axes.map((axis, d) => axis.widths.reduce((sum, w, s) => sum + w * (marginals[d][s] - f0) ** 2, 0) / total);
	return {leaves, axes, volume, f0, total, marginals, mains};
}

/** The pure interaction of features d and e: the variance of a_de - a_d - a_e + f0, as a share of the tree's. */
function pairShare(tree: Tree, d: number, e: number): number {
	const {leaves, axes, volume, f0, total, marginals} = tree;
	const [ad, ae] = [axes[d], axes[e]];
	const columns = ae.widths.length + 1;
	const diff = new Float64Array((ad.widths.length + 1) * columns);
	for (const [l, leaf] of leaves.entries()) {
		const contribution = leaf.value * (volume[l] / (ad.extent[l] * ae.extent[l]));
		for (const [s0, s1] of ad.runs[l]) {
			for (const [u0, u1] of ae.runs[l]) {
				diff[s0 * columns + u0] += contribution;
				diff[s0 * columns + u1] -= contribution;
				diff[s1 * columns + u0] -= contribution;
				diff[s1 * columns + u1] += contribution;
			}
		}
	}
	// 2-D prefix sums turn the rectangle updates into a_de on every (atom of d, atom of e) cell.
	for (let s = 0; s < ad.widths.length; s++) {
		for (let u = 0; u < ae.widths.length; u++) {
			const i = s * columns + u;
			diff[i] += (s > 0 ? diff[i - columns] : 0) + (u > 0 ? diff[i - 1] : 0) - (s > 0 && u > 0 ? diff[i - columns - 1] : 0);
		}
	}
	let variance = 0;
	for (const [s, ws] of ad.widths.entries()) {
		for (const [u, wu] of ae.widths.entries()) {
			variance += ws * wu * (diff[s * columns + u] - marginals[d][s] - marginals[e][u] + f0) ** 2;
		}
	}
	return variance / total;
}

/** The parameters fANOVA can weigh: those with at least two values (or a range), by name. */
export function variedParameters(parameters: Record<string, ParameterSpec>): string[] {
	return Object.keys(parameters).sort().filter((name) => featureOf(name, parameters[name]) !== undefined);
}

/**
 * What a sweep's importances are fitted to: each config's mean best value of the sweep's metric over its completed
 * repeats (the leaderboard's value; variance shares do not depend on which way is better), for the configs that
 * have a finite one.
 */
export function importanceObservations(data: Pick<SweepData, 'result'>): ImportanceObservation[] {
	return data.result.rows.filter((row) => Number.isFinite(row.value.mean)).map((row) => ({params: row.config, value: row.value.mean}));
}

/**
 * The importances behind `sweeplab best <sweep> --importance` and the reports, over importanceObservations.
 * @throws UsageError naming the sweep when it has fewer than two configs with a finished, finite value.
 */
export function sweepImportance(data: Pick<SweepData, 'sweep' | 'result'>, options: ImportanceOptions = {}): ImportanceResult {
	const {metric} = data.result;
	const observations = importanceObservations(data);
	if (observations.length < 2) {
		const what = metric.name === 'val_accuracy' ? 'validation accuracy' : `value of ${metric.name}`;
		throw new UsageError(`sweep "${data.sweep.definition.name}": --importance needs at least two configs with a finished ${what}, it has ${observations.length}`);
	}
	return parameterImportance(data.sweep.definition.parameters, observations, options);
}
