/**
 * Leaderboard cells shared by the terminal table (`best`) and the markdown report, so both say the same.
 */
import {DEFAULT_METRIC, type MetricSpec, type TrialParams} from '../types.js';
import type {Spread} from './leaderboard.js';
import type {RankedRow} from './ranking.js';

export function percent(fraction: number, digits = 2): string {
	return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '-';
}

/** `85.12% ± 0.30` (the std in percentage points), or just the mean for a single repeat. */
export function percentSpread(value: Spread): string {
	if (value.n === 0) {
		return '-';
	}

	return value.n > 1 ? `${percent(value.mean)} ± ${(value.std * 100).toFixed(2)}` : percent(value.mean);
}

/** Metrics named like accuracy (`val_accuracy`, `acc`, `top1_acc`) are fractions, shown as percentages. */
export const isFraction = (metric: MetricSpec): boolean => /(^|_)acc(uracy)?$/i.test(metric.name);

/** How prose names the metric: `validation accuracy` for val_accuracy, `validation loss` for val_loss, else its name. */
export const metricTitle = (metric: MetricSpec): string =>
	({val_accuracy: 'validation accuracy', val_loss: 'validation loss'})[metric.name] ?? metric.name;

/** One value of the metric: `85.12%` for fractions, else 4 significant digits. */
export function metricValue(metric: MetricSpec, value: number): string {
	if (isFraction(metric)) {
		return percent(value);
	}

	return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : '-';
}

/** `85.12% ± 0.30` or `0.3120 ± 0.0040`: the metric's mean and, over repeats, its std. */
export function metricSpread(metric: MetricSpec, value: Spread): string {
	if (isFraction(metric)) {
		return percentSpread(value);
	}

	if (value.n === 0) {
		return '-';
	}

	return value.n > 1 ? `${metricValue(metric, value.mean)} ± ${metricValue(metric, value.std)}` : metricValue(metric, value.mean);
}

/** A difference of the metric: `0.30 points` for fractions, else the number. */
export const metricGap = (metric: MetricSpec, gap: number): string => (isFraction(metric) ? `${(gap * 100).toFixed(2)} points` : metricValue(metric, gap));

export function numberSpread(value: Spread, digits: number): string {
	if (value.n === 0) {
		return '-';
	}

	return value.n > 1 && value.std > 0 ? `${value.mean.toFixed(digits)} ± ${value.std.toFixed(digits)}` : value.mean.toFixed(digits);
}

export function seconds(value: number): string {
	return Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} s` : '-';
}

/** `2=` for a rank shared with tied configs, `-` for an unranked config. */
export function rankText(row: RankedRow): string {
	return row.rank === null ? '-' : `${row.rank}${row.tied ? '=' : ''}`;
}

/** The metric's column head: `val acc` as it always was for val_accuracy, else the metric's name (and which way is better). */
export const metricHead = (metric: MetricSpec): string =>
	metric.name === 'val_accuracy' && metric.goal === 'maximize' ? 'val acc' : `${metric.name} (${metric.goal === 'maximize' ? 'max' : 'min'})`;

export const leaderboardHead = (metric: MetricSpec = DEFAULT_METRIC): string[] => [
	'rank',
	'config',
	metricHead(metric),
	'test acc',
	`${metricHead(metric)} of tested`,
	'tested epoch',
	'params',
	'epochs',
	'converged at',
	'best epoch',
	's to best',
	'train s',
	's/epoch',
	'Pareto',
	'backend',
	'trials',
];

export const LEADERBOARD_ALIGN = ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left', 'left'] as const;

export function leaderboardCells(row: RankedRow, label: (config: TrialParams) => string, metric: MetricSpec = DEFAULT_METRIC): string[] {
	const states = Object.entries(row.states).filter(([state]) => state !== 'completed').map(([state, n]) => `${n} ${state}`);
	return [
		rankText(row),
		label(row.config),
		metricSpread(metric, row.value),
		percentSpread(row.testAccuracy),
		metricSpread(metric, row.testedValue),
		numberSpread(row.testedEpoch, 1),
		row.paramCount?.toLocaleString('en-US') ?? '-',
		numberSpread(row.epochsRun, 0),
		numberSpread(row.convergedEpoch, 1),
		numberSpread(row.bestEpoch, 1),
		numberSpread(row.secondsToBest, 1),
		numberSpread(row.trainSeconds, 1),
		numberSpread(row.secondsPerEpoch, 2),
		row.pareto ? 'yes' : '',
		row.backends.join(', ') || '-',
		[`${row.completed}/${row.trials} done`, ...states].join(', '),
	];
}
