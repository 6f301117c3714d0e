/**
 * Leaderboard cells shared by the terminal table (`best`) and the markdown report, so both say the same.
 */
import type {TrialConfig} from '../types.js';
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

export const LEADERBOARD_HEAD = [
	'rank',
	'config',
	'val acc',
	'test acc',
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
] as const;

export const LEADERBOARD_ALIGN = ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left', 'left'] as const;

export function leaderboardCells(row: RankedRow, label: (config: TrialConfig) => string): string[] {
	const states = Object.entries(row.states).filter(([state]) => state !== 'completed').map(([state, n]) => `${n} ${state}`);
	return [
		rankText(row),
		label(row.config),
		percentSpread(row.valAccuracy),
		percentSpread(row.testAccuracy),
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
