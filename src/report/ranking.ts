/**
 * Ranking of a sweep's configs with their repeats taken seriously, and the answer to "which config":
 * the most accurate, the fastest one nearly as accurate, the knee of the trade-off, the best within a budget.
 */
import type {ConfigRow, Spread} from './leaderboard.js';
import {kneeIndex, paretoFront} from './pareto.js';

/** Default accuracy margin for "the fastest config nearly as accurate as the best": 0.5 percentage points. */
export const DEFAULT_MARGIN = 0.005;

export interface RankedRow extends ConfigRow {
	/**
	 * 1-based competition rank by mean validation accuracy; tied configs share the rank of the first of them
	 * (1, 2, 2, 4). Null for a config without a finite validation accuracy.
	 */
	rank: number | null;
	/** Shares its rank with at least one other config (see `tied`). */
	tied: boolean;
	/** Not dominated on (mean validation accuracy up, mean training seconds down). */
	pareto: boolean;
}

export interface Tradeoff {
	/** Best first (by mean validation accuracy); configs without one last. */
	rows: RankedRow[];
	/** Accuracy margin used for fastestWithinMargin, as a fraction (0.005 = 0.5 points). */
	margin: number;
	mostAccurate?: RankedRow;
	/** The config with the lowest mean training seconds whose mean accuracy is within `margin` of mostAccurate. */
	fastestWithinMargin?: RankedRow;
	/** The knee of the Pareto front (src/report/pareto.ts), when the front bends. */
	knee?: RankedRow;
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

const accuracyOf = (row: ConfigRow): number => (Number.isFinite(row.valAccuracy.mean) ? row.valAccuracy.mean : Number.NEGATIVE_INFINITY);

/**
 * Rank configs by mean validation accuracy. Walking down the sorted list, a config tied with the first
 * config of the current rank group joins that group (same rank); otherwise it opens a new group ranked by
 * its position. Comparing with the group's first config, not the previous one, keeps a chain of small
 * steps from tying the whole table together.
 */
export function rankRows(rows: readonly ConfigRow[]): RankedRow[] {
	const sorted = [...rows].sort((a, b) => accuracyOf(b) - accuracyOf(a) || a.configHash.localeCompare(b.configHash));
	const front = paretoFront(sorted.map(pointOf));
	const ranked: RankedRow[] = sorted.map((row, index) => ({...row, rank: null, tied: false, pareto: front[index]}));
	let leader: RankedRow | undefined;
	for (const [index, row] of ranked.entries()) {
		if (!Number.isFinite(row.valAccuracy.mean)) {
			continue;
		}

		if (leader && tied(leader.valAccuracy, row.valAccuracy)) {
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

/** Ranked rows and the configs a reader asks about first. `margin` is a fraction (default 0.005). */
export function tradeoff(rows: readonly ConfigRow[], options: {margin?: number} = {}): Tradeoff {
	const margin = options.margin ?? DEFAULT_MARGIN;
	const ranked = rankRows(rows);
	const usable = ranked.filter(row => Number.isFinite(row.valAccuracy.mean));
	const mostAccurate = usable[0];
	const fastestWithinMargin = mostAccurate
		? fastest(usable.filter(row => row.valAccuracy.mean >= mostAccurate.valAccuracy.mean - margin))
		: undefined;
	const knee = kneeIndex(ranked.map(pointOf), ranked.map(row => row.pareto));
	return {rows: ranked, margin, mostAccurate, fastestWithinMargin, knee: knee === undefined ? undefined : ranked[knee]};
}

/** The most accurate config whose mean training time fits in `seconds`, or undefined. */
export function bestWithinBudget(rows: readonly RankedRow[], seconds: number): RankedRow | undefined {
	return rows.find(row => Number.isFinite(row.valAccuracy.mean) && row.trainSeconds.mean <= seconds);
}

/** Order for `best --sort`: by accuracy (the ranking), by mean training time, or Pareto-optimal configs first. */
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

function pointOf(row: ConfigRow) {
	return {accuracy: row.valAccuracy.mean, seconds: row.trainSeconds.mean};
}

function fastest(rows: RankedRow[]): RankedRow | undefined {
	return rows.filter(row => Number.isFinite(row.trainSeconds.mean)).reduce<RankedRow | undefined>(
		(best, row) => (!best || row.trainSeconds.mean < best.trainSeconds.mean ? row : best),
		undefined,
	);
}
