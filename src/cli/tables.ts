import Table from 'cli-table3';
import type {SweepStatus} from '../store/store.js';
import {describeConfig} from '../sweep/describe.js';
import type {TrialSpec} from '../types.js';
import {TRIAL_STATES} from '../types.js';

/** Plain borders: tables are pasted into issues and logs as often as they are read in a terminal. */
const style = {head: [], border: []};

/** The trials of a plan; a program sweep's (without param counts and paths) show their config only. */
export function planTable(specs: TrialSpec[], keys: readonly string[], paramCounts?: number[], paths?: string[]): string {
	if (!paramCounts || !paths) {
		const table = new Table({head: ['#', 'repeat', 'seed', 'config'], colAligns: ['right', 'right', 'right', 'left'], style});
		for (const spec of specs) {
			table.push([spec.ordinal, spec.repeat, spec.seed, describeConfig(spec.config, keys)]);
		}

		return table.toString();
	}

	const table = new Table({
		head: ['#', 'repeat', 'seed', 'config', 'params', 'epochs', 'batch', 'path'],
		colAligns: ['right', 'right', 'right', 'left', 'right', 'right', 'right', 'left'],
		style,
	});
	for (const [i, spec] of specs.entries()) {
		table.push([spec.ordinal, spec.repeat, spec.seed, describeConfig(spec.config, keys), paramCounts[i].toLocaleString('en-US'), String(spec.config.epochs), String(spec.config.batchSize), paths[i]]);
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

