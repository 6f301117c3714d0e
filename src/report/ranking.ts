/**
 * Ranking of a sweep's configs by its metric with their repeats taken seriously, and the answer to "which
 * config": the best, the fastest one nearly as good, the knee of the trade-off, the best within a budget.
 */
import type {RankedConfig, RankedRow, RankQuery, RankSelection} from '../store/store.js';
import {DEFAULT_METRIC, type MetricSpec} from '../types.js';
import {isFraction} from './format.js';
import {type ConfigRow, score, type Spread} from './leaderboard.js';
import {kneeIndex, paretoFront} from './pareto.js';

/**
 * Default margin for "the fastest config nearly as good as the best": 0.5 percentage points for accuracy-like
 * metrics (fractions), 0.5% of the best value for any other metric.
 */
export const DEFAULT_MARGIN = 0.005;

export type {RankedRow} from '../store/store.js';

export interface Tradeoff {
	/** What the rows are ranked by. */
	metric: MetricSpec;
	/** Best first (by the mean best value of the metric); configs without one last. */
	rows: RankedRow[];
	/** Margin used for fastestWithinMargin: for accuracy-like metrics a fraction (0.005 = 0.5 points), else relative to the best value (0.005 = 0.5%). */
	margin: number;
	mostAccurate?: RankedRow;
	/** The config with the lowest mean training seconds whose mean value is within `margin` of mostAccurate's. */
	fastestWithinMargin?: RankedRow;
	/** The knee of the Pareto front (src/report/pareto.ts), when the front bends. */
	knee?: RankedRow;
	/**
	 * The other configs within the margin whose training time is tied with fastestWithinMargin's (timeTied): by mean
	 * time it is the fastest, but the repeats' spread cannot tell it from these.
	 */
	fastestTies: RankedRow[];
}

/**
 * Whether two configs' mean training times are within the spread of their repeats (mean ± std overlap, as `tied`
 * judges the metric): a ranking of the two by time is then noise. Undefined when either has fewer than two timed
 * repeats, which leaves no spread to judge by.
 */
export function timeTied(a: ConfigRow, b: ConfigRow): boolean | undefined {
	if (a.trainSeconds.n < 2 || b.trainSeconds.n < 2) {
		return undefined;
	}

	return tied(a.trainSeconds, b.trainSeconds);
}

/**
 * Two configs are tied when their mean difference is within the spread of their repeats: when their
 * mean ± one standard deviation intervals overlap (|mean a - mean b| <= std a + std b), which is what the
 * error bars of the plots show. A config with one repeat has no spread to speak of (std 0), so it only
 * ties an exactly equal mean or a config whose own bar reaches it. Non-finite means never tie.
 */
export function tied(a: Spread, b: Spread): boolean {
	if (!Number.isFinite(a.mean) || !Number.isFinite(b.mean)) {
		return false;
	}

	return Math.abs(a.mean - b.mean) <= (a.std || 0) + (b.std || 0);
}

/** What Store.rankConfigs needs to rank a sweep by `metric` and to find the fastest config within `margin` (see Tradeoff). */
export function rankQuery(metric: MetricSpec, select: RankSelection, margin = DEFAULT_MARGIN): RankQuery {
	return {metric, margin, relativeMargin: !isFraction(metric), select};
}

/**
 * The trade-off of configs the store ranked (Store.rankConfigs: ranks, ties, the front and the fastest config within
 * the margin are the database's). `configs` are all of the sweep's, or a selection that holds the front (the knee
 * is the front's), best first.
 */
export function tradeoffOf(configs: readonly RankedConfig[], metric: MetricSpec, margin = DEFAULT_MARGIN): Tradeoff {
	const rows = configs.map(config => config.row);
	const knee = kneeIndex(rows.map(row => pointOf(row, metric)), rows.map(row => row.pareto));
	return {
		metric,
		rows,
		margin,
		mostAccurate: rows.find(row => Number.isFinite(row.value.mean)),
		fastestWithinMargin: configs.find(config => config.fastest)?.row,
		knee: knee === undefined ? undefined : rows[knee],
		fastestTies: configs.filter(config => config.fastestTie).map(config => config.row),
	};
}

/**
 * Rank configs by the mean best value of the metric (in memory: the reference Store.rankConfigs' SQL is tested
 * against, test/store/ranking.test.ts). Walking down the sorted list, a config tied with the first
 * config of the current rank group joins that group (same rank); otherwise it opens a new group ranked by
 * its position. Comparing with the group's first config, not the previous one, keeps a chain of small
 * steps from tying the whole table together.
 */
/** localeCompare's order without building a collator per call (50,000 configs without a value all tie). */
const collator = new Intl.Collator();

export function rankRows(rows: readonly ConfigRow[], metric: MetricSpec = DEFAULT_METRIC): RankedRow[] {
	// Each row's score worked out once, not at every comparison.
	const sorted = rows.map(row => ({row, order: score(metric, row.value.mean)}))
		.sort((a, b) => (b.order === a.order ? 0 : b.order - a.order) || collator.compare(a.row.configHash, b.row.configHash))
		.map(({row}) => row);
	const front = paretoFront(sorted.map(row => pointOf(row, metric)));
	const ranked: RankedRow[] = sorted.map((row, index) => ({...row, rank: null, tied: false, pareto: front[index]}));
	let leader: RankedRow | undefined;
	for (const [index, row] of ranked.entries()) {
		if (!Number.isFinite(row.value.mean)) {
			continue;
		}

		if (leader && tied(leader.value, row.value)) {
			row.rank = leader.rank;
			row.tied = true;
			leader.tied = true;
		} else {
			row.rank = index + 1;
			leader = row;
		}
	}

	return ranked;
}

/** Ranked rows and the configs a reader asks about first, in memory (see rankRows). `margin`: see Tradeoff (default 0.005). */
export function tradeoff(rows: readonly ConfigRow[], options: {margin?: number; metric?: MetricSpec} = {}): Tradeoff {
	const margin = options.margin ?? DEFAULT_MARGIN;
	const metric = options.metric ?? DEFAULT_METRIC;
	const ranked = rankRows(rows, metric);
	const usable = ranked.filter(row => Number.isFinite(row.value.mean));
	const mostAccurate = usable[0];
	const within = mostAccurate && (isFraction(metric) ? margin : Math.abs(mostAccurate.value.mean) * margin);
	const candidates = mostAccurate ? usable.filter(row => score(metric, row.value.mean) >= score(metric, mostAccurate.value.mean) - within!) : [];
	const fastestWithinMargin = fastest(candidates);
	const fastestTies = fastestWithinMargin ? candidates.filter(row => row !== fastestWithinMargin && timeTied(row, fastestWithinMargin) === true) : [];
	const knee = kneeIndex(ranked.map(row => pointOf(row, metric)), ranked.map(row => row.pareto));
	return {metric, rows: ranked, margin, mostAccurate, fastestWithinMargin, knee: knee === undefined ? undefined : ranked[knee], fastestTies};
}

/** The best config whose mean training time fits in `seconds`, or undefined. */
export function bestWithinBudget(rows: readonly RankedRow[], seconds: number): RankedRow | undefined {
	return rows.find(row => Number.isFinite(row.value.mean) && row.trainSeconds.mean <= seconds);
}

/** Order for `best --sort`: by the metric (the ranking; `accuracy` for short), by mean training time, or Pareto-optimal configs first. */
export function sortRows(rows: readonly RankedRow[], by: 'accuracy' | 'time' | 'pareto'): RankedRow[] {
	const byAccuracy = [...rows];
	if (by === 'accuracy') {
		return byAccuracy;
	}

	if (by === 'pareto') {
		return [...byAccuracy.filter(row => row.pareto), ...byAccuracy.filter(row => !row.pareto)];
	}

	const seconds = (row: RankedRow) => (Number.isFinite(row.trainSeconds.mean) ? row.trainSeconds.mean : Number.POSITIVE_INFINITY);
	// Array sort is stable, so equal times keep their accuracy order.
	return byAccuracy.sort((a, b) => (seconds(a) === seconds(b) ? 0 : seconds(a) - seconds(b)));
}

/** The trade-off point of a config: the metric oriented so that higher is better, against training seconds. */
function pointOf(row: ConfigRow, metric: MetricSpec) {
	return {accuracy: Number.isFinite(row.value.mean) ? score(metric, row.value.mean) : Number.NaN, seconds: row.trainSeconds.mean};
}

function fastest(rows: RankedRow[]): RankedRow | undefined {
	return rows.filter(row => Number.isFinite(row.trainSeconds.mean)).reduce<RankedRow | undefined>(
		(best, row) => (!best || row.trainSeconds.mean < best.trainSeconds.mean ? row : best),
		undefined,
	);
}
