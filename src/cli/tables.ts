import Table from 'cli-table3';
import type {ConfigRow, Spread} from '../report/leaderboard.js';
import type {SweepStatus} from '../store/store.js';
import {describeConfig} from '../sweep/describe.js';
import type {TrialConfig, TrialSpec} from '../types.js';
import {TRIAL_STATES} from '../types.js';
import {formatPercent} from './common.js';

/** Plain borders: tables are pasted into issues and logs as often as they are read in a terminal. */
const style = {head: [], border: []};

function percentSpread(value: Spread): string {
	if (value.n === 0) {
		return '-';
	}

	return value.n > 1 ? `${formatPercent(value.mean)} ± ${(value.std * 100).toFixed(2)}` : formatPercent(value.mean);
}

function numberSpread(value: Spread, digits: number): string {
	return value.n === 0 ? '-' : value.mean.toFixed(digits);
}

export function leaderboardTable(rows: ConfigRow[], keys: Array<keyof TrialConfig>, top = rows.length): string {
	const table = new Table({
		head: ['rank', 'config', 'val acc', 'test acc', 'best ep', 'params', 'train s', 'trials'],
		colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
		style,
	});
	for (const [i, row] of rows.slice(0, top).entries()) {
		const states = Object.entries(row.states).filter(([state]) => state !== 'completed').map(([state, n]) => `${n} ${state}`);
		table.push([
			row.completed > 0 ? i + 1 : '-',
			describeConfig(row.config, keys),
			percentSpread(row.valAccuracy),
			percentSpread(row.testAccuracy),
			numberSpread(row.bestEpoch, 1),
			row.paramCount?.toLocaleString('en-US') ?? '-',
			numberSpread(row.trainSeconds, 1),
			[`${row.completed}/${row.trials} done`, ...states].join(', '),
		]);
	}

	return table.toString();
}

export function planTable(specs: TrialSpec[], keys: Array<keyof TrialConfig>, paramCount: (config: TrialConfig) => number): string {
	const table = new Table({
		head: ['#', 'repeat', 'seed', 'config', 'params', 'epochs', 'batch'],
		colAligns: ['right', 'right', 'right', 'left', 'right', 'right', 'right'],
		style,
	});
	for (const spec of specs) {
		table.push([spec.ordinal, spec.repeat, spec.seed, describeConfig(spec.config, keys), paramCount(spec.config).toLocaleString('en-US'), spec.config.epochs, spec.config.batchSize]);
	}

	return table.toString();
}

export function statusTable(sweeps: SweepStatus[]): string {
	const shown = TRIAL_STATES.filter(state => sweeps.some(status => status.counts[state] > 0));
	const table = new Table({
		head: ['sweep', 'created', 'trials', ...shown],
		colAligns: ['left', 'left', 'right', ...shown.map(() => 'right' as const)],
		style,
	});
	for (const status of sweeps) {
		table.push([status.sweep.name, status.sweep.createdAt.replace('T', ' ').slice(0, 16), status.total, ...shown.map(state => status.counts[state])]);
	}

	return table.toString();
}

