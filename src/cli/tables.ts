import Table from 'cli-table3';
import type {SweepStatus} from '../store/store.js';
import {describeConfig} from '../sweep/describe.js';
import type {TrialConfig, TrialSpec} from '../types.js';
import {TRIAL_STATES} from '../types.js';

/** Plain borders: tables are pasted into issues and logs as often as they are read in a terminal. */
const style = {head: [], border: []};

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

