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
	/** Trials the forest was fitted to. */
	trials: number;
}

/** A feature as the forest sees it: numeric in [0, 1], or a category index with a uniform measure over k values. */
type Feature = {name: string; kind: 'numeric'; encode(value: unknown): number | undefined} | {name: string; kind: 'categorical'; k: number; encode(value: unknown): number | undefined};

function featureOf(name: string, spec: ParameterSpec): Feature | undefined {
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

	const trees = options.trees ?? 64;
	const rng = createRng(options.seed ?? 0);
	const mains = features.map(() => [] as number[]);
	const pairs = new Map<string, number[]>();
	for (let t = 0; t < trees; t++) {
		const sample = Array.from({length: rows.length}, () => rng.int(0, rows.length - 1));
		const leaves = growTree(features, rows, targets, sample, options.maxDepth ?? 64, rng);
		const decomposition = decompose(features, leaves);
		if (decomposition === undefined) {
			continue;
		}
		for (const [d, share] of decomposition.mains.entries()) {
			mains[d].push(share);
		}
		for (const [key, share] of decomposition.pairs) {
			pairs.set(key, [...(pairs.get(key) ?? []), share]);
		}
	}

	const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
	const std = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
	const result: ImportanceResult = {
		parameters: features.map((feature, d) => ({name: feature.name, importance: mean(mains[d]), std: std(mains[d])})).sort((a, b) => b.importance - a.importance || (a.name < b.name ? -1 : 1)),
		trials: rows.length,
	};
	let best: {names: [string, string]; importance: number} | undefined;
	for (const [key, shares] of pairs) {
		const [d, e] = key.split(',').map(Number);
		const importance = mean(shares);
		if (best === undefined || importance > best.importance) {
			best = {names: [features[d].name, features[e].name], importance};
		}
	}
	if (best !== undefined) {
		result.topInteraction = best;
	}
	return result;
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
	/** Per leaf: the atoms it covers. */
	cover: number[][];
	/** Per leaf: its measure along this axis. */
	extent: number[];
}

function axisOf(feature: Feature, d: number, leaves: readonly Leaf[]): Axis {
	if (feature.kind === 'categorical') {
		return {
			widths: new Array<number>(feature.k).fill(1 / feature.k),
			cover: leaves.map((leaf) => [...leaf.categories[d]!]),
			extent: leaves.map((leaf) => leaf.categories[d]!.size / feature.k),
		};
	}
	const cuts = [...new Set(leaves.flatMap((leaf) => leaf.intervals[d]!))].sort((a, b) => a - b);
	const position = new Map(cuts.map((cut, i) => [cut, i]));
	return {
		widths: cuts.slice(1).map((cut, i) => cut - cuts[i]),
		cover: leaves.map((leaf) => {
			const [lo, hi] = leaf.intervals[d]!;
			return Array.from({length: position.get(hi)! - position.get(lo)!}, (_, i) => position.get(lo)! + i);
		}),
		extent: leaves.map((leaf) => leaf.intervals[d]![1] - leaf.intervals[d]![0]),
	};
}

/**
 * The tree's variance shares: main effect of each feature and pure interaction of each pair, each divided by
 * the tree's total variance. Undefined for a tree that predicts one value everywhere.
 */
function decompose(features: readonly Feature[], leaves: readonly Leaf[]): {mains: number[]; pairs: Map<string, number>} | undefined {
	const axes = features.map((feature, d) => axisOf(feature, d, leaves));
	const volume = leaves.map((_, l) => axes.reduce((v, axis) => v * axis.extent[l], 1));
	const f0 = leaves.reduce((sum, leaf, l) => sum + leaf.value * volume[l], 0);
	const total = leaves.reduce((sum, leaf, l) => sum + volume[l] * (leaf.value - f0) ** 2, 0);
	if (!(total > 1e-12 * Math.max(1, f0 * f0))) {
		return undefined;
	}
	// a_d(atom): the tree's mean over every other feature with feature d fixed in that atom.
	const marginals = axes.map((axis) => {
		const a = new Array<number>(axis.widths.length).fill(0);
		for (const [l, leaf] of leaves.entries()) {
			const rest = volume[l] / axis.extent[l];
			for (const atom of axis.cover[l]) {
				a[atom] += leaf.value * rest;
			}
		}
		return a;
	});
	const mains = axes.map((axis, d) => axis.widths.reduce((sum, w, s) => sum + w * (marginals[d][s] - f0) ** 2, 0) / total);
	const pairs = new Map<string, number>();
	for (let d = 0; d < axes.length; d++) {
		for (let e = d + 1; e < axes.length; e++) {
			const [ad, ae] = [axes[d], axes[e]];
			const columns = ae.widths.length;
			const joint = new Float64Array(ad.widths.length * columns);
			for (const [l, leaf] of leaves.entries()) {
				const contribution = leaf.value * (volume[l] / (ad.extent[l] * ae.extent[l]));
				for (const s of ad.cover[l]) {
					for (const u of ae.cover[l]) {
						joint[s * columns + u] += contribution;
					}
				}
			}
			let variance = 0;
			for (const [s, ws] of ad.widths.entries()) {
				for (const [u, wu] of ae.widths.entries()) {
					variance += ws * wu * (joint[s * columns + u] - marginals[d][s] - marginals[e][u] + f0) ** 2;
				}
			}
			pairs.set(`${d},${e}`, variance / total);
		}
	}
	return {mains, pairs};
}

/**
 * The importances behind `sweeplab best <sweep> --importance`: the sweep's parameters against each config's mean
 * best validation accuracy over its completed repeats (the leaderboard's value).
 * @throws UsageError naming the sweep when it has fewer than two configs with a finished, finite accuracy.
 */
export function sweepImportance(data: Pick<SweepData, 'sweep' | 'result'>, options: ImportanceOptions = {}): ImportanceResult {
	const observations = data.result.rows.filter((row) => Number.isFinite(row.valAccuracy.mean)).map((row) => ({params: row.config as unknown as Record<string, unknown>, value: row.valAccuracy.mean}));
	if (observations.length < 2) {
		throw new UsageError(`sweep "${data.sweep.definition.name}": --importance needs at least two configs with a finished validation accuracy, it has ${observations.length}`);
	}
	return parameterImportance(data.sweep.definition.parameters, observations, options);
}
