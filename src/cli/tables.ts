import Table from 'cli-table3';
import type {SweepStatus} from '../store/store.js';
import {describeConfig} from '../sweep/describe.js';
import type {ParameterSpec, TrialSpec} from '../types.js';
import {TRIAL_STATES} from '../types.js';

/** Plain borders: tables are pasted into issues and logs as often as they are read in a terminal. */
const style = {head: [], border: []};
/** No rule between rows: a leaderboard of forty configs stays forty lines. */
const compact = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''};

/** The width of the terminal stdout writes to, or undefined when it is not a terminal (a pipe or file gets every column). */
export function terminalWidth(stream: {isTTY?: boolean; columns?: number} = process.stdout): number | undefined {
	return stream.isTTY && stream.columns ? stream.columns : undefined;
}

export interface Column {
	head: string;
	align: 'left' | 'right';
	/** Columns with a higher number are left out first when the table is too wide; undefined: always shown. */
	drop?: number;
	/**
	 * The one column cut short (ending in …): to `comfortable` characters once the columns with a `drop` above
	 * `after` are gone, then, when dropping the rest is not enough, down to `min`.
	 */
	shrink?: {comfortable: number; min: number; after: number};
}

/** Display width, counting each code point as one column (the tables hold no wide characters). */
const widthOf = (text: string): number => [...text].length;

function cut(text: string, width: number): string {
	return widthOf(text) <= width ? text : [...text].slice(0, Math.max(1, width - 1)).join('') + '…';
}

/**
 * A compact table within `width` columns: the most droppable columns are left out until it fits, then the shrinkable
 * one is cut short. Returns the table and the heads of the columns left out.
 */
export function fitTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>, width = Number.POSITIVE_INFINITY): {text: string; dropped: string[]} {
	const widths = columns.map((column, index) => Math.max(widthOf(column.head), ...rows.map(row => widthOf(row[index] ?? ''))));
	// Each column takes its content plus a space either side and one border.
	const total = (shown: number[]) => shown.reduce((sum, index) => sum + widths[index] + 3, 1);
	let shown = columns.map((_, index) => index);
	const shrink = shown.find(index => columns[index].shrink);
	const cutTo = (least: number) => {
		if (shrink !== undefined && total(shown) > width) {
			widths[shrink] = Math.max(Math.min(least, widths[shrink]), widths[shrink] - (total(shown) - width));
		}
	};

	const droppable = shown.filter(index => columns[index].drop !== undefined).sort((a, b) => columns[b].drop! - columns[a].drop!);
	const dropped: string[] = [];
	let comfortable = false;
	for (const index of droppable) {
		if (shrink !== undefined && !comfortable && columns[index].drop! <= columns[shrink].shrink!.after) {
			cutTo(columns[shrink].shrink!.comfortable);
			comfortable = true;
		}

		if (total(shown) <= width) {
			break;
		}

		shown = shown.filter(candidate => candidate !== index);
		dropped.push(columns[index].head);
	}

	cutTo(shrink === undefined ? 0 : columns[shrink].shrink!.min);

	const table = new Table({
		head: shown.map(index => columns[index].head),
		colAligns: shown.map(index => columns[index].align),
		style,
		chars: compact,
	});
	for (const row of rows) {
		table.push(shown.map(index => (index === shrink ? cut(row[index], widths[index]) : row[index])));
	}

	return {text: table.toString(), dropped};
}

/** The trials of a plan; a program sweep's (without param counts and paths) show their config only. */
export function planTable(specs: TrialSpec[], keys: readonly string[], paramCounts?: number[], paths?: string[], parameters?: Readonly<Record<string, ParameterSpec>>): string {
	if (!paramCounts || !paths) {
		const table = new Table({head: ['#', 'repeat', 'seed', 'config'], colAligns: ['right', 'right', 'right', 'left'], style});
		for (const spec of specs) {
			table.push([spec.ordinal, spec.repeat, spec.seed, describeConfig(spec.config, keys, parameters)]);
		}

		return table.toString();
	}

	const table = new Table({
		head: ['#', 'repeat', 'seed', 'config', 'params', 'epochs', 'batch', 'path'],
		colAligns: ['right', 'right', 'right', 'left', 'right', 'right', 'right', 'left'],
		style,
	});
	for (const [i, spec] of specs.entries()) {
		table.push([spec.ordinal, spec.repeat, spec.seed, describeConfig(spec.config, keys, parameters), paramCounts[i].toLocaleString('en-US'), String(spec.config.epochs), String(spec.config.batchSize), paths[i]]);
	}

	return table.toString();
}

/** Every sweep with its trial counts per state (the states no sweep has left out), fitted to `width`. */
export function statusTable(sweeps: SweepStatus[], width = terminalWidth()): string {
	const shown = TRIAL_STATES.filter(state => sweeps.some(status => status.counts[state] > 0));
	const columns: Column[] = [
		{head: 'sweep', align: 'left', shrink: {comfortable: 24, min: 10, after: 0}},
		{head: 'created', align: 'left', drop: 1},
		{head: 'trials', align: 'right'},
		...shown.map(state => ({head: state, align: 'right' as const})),
	];
	const rows = sweeps.map(status => [status.sweep.name, status.sweep.createdAt.replace('T', ' ').slice(0, 16), String(status.total), ...shown.map(state => String(status.counts[state]))]);
	return fitTable(columns, rows, width).text;
}

