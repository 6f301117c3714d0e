import {existsSync} from 'node:fs';
import type {Argv} from 'yargs';
import {UsageError} from '../errors.js';
import {rankSweep} from '../report/data.js';
import {isFraction, LEADERBOARD_ALIGN, leaderboardCells, leaderboardHead, metricSpread, seconds} from '../report/format.js';
import {type ImportanceResult, sweepImportance} from '../report/importance.js';
import {type FrontPoint, frontMembers, HYPERVOLUME_REFERENCE, hypervolumeScale, hypervolumeText, kneeRule, type ObjectiveFront, objectivesText, objectiveText} from '../report/front.js';
import {bestWithinBudget, DEFAULT_MARGIN, type RankedRow, sortRows, type Tradeoff} from '../report/ranking.js';
import {isPostgresUrl} from '../store/pg-connection.js';
import type {Store} from '../store/store.js';
import type {MetricSpec, TrialParams} from '../types.js';
import {globalOptions, type GlobalArgs, numberOption, openStore} from './common.js';
import {type Column, fitTable, terminalWidth} from './tables.js';

export const SORTS = ['accuracy', 'time', 'pareto'] as const;

export interface BestArgs extends GlobalArgs {
	sweep: string;
	top?: number;
	sort: (typeof SORTS)[number];
	budget?: number;
	margin: number;
	json: boolean;
	importance: boolean;
}

/** `--margin` for best and report: percentage points of an accuracy-like metric, else percent of the best value. */
export function marginOption<T>(yargs: Argv<T>): Argv<T & {margin: number}> {
	return yargs.option('margin', numberOption('margin', 'number >= 0', {
		default: DEFAULT_MARGIN * 100,
		describe: 'Margin for "the fastest config nearly as good as the best": percentage points of accuracy (percent of the best value for other metrics)',
	})) as unknown as Argv<T & {margin: number}>;
}

export function bestBuilder(yargs: Argv): Argv<BestArgs> {
	return marginOption(globalOptions(yargs))
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Sweep name (see sweeplab status)'})
		.option('top', numberOption('top', 'positive integer', {alias: 'n', describe: 'Show only the first N configs'}))
		.option('sort', {choices: SORTS, default: 'accuracy' as const, describe: 'accuracy: ranked; time: fastest first; pareto: Pareto-optimal configs first'})
		.option('budget', numberOption('budget', 'positive number', {describe: 'Only configs whose mean training time is at most this many seconds'}))
		.option('json', {type: 'boolean', default: false, describe: 'Print the rows as JSON'})
		.option('importance', {type: 'boolean', default: false, describe: 'Also say which parameters explain the variance of the metric, validation accuracy by default (fANOVA)'}) as unknown as Argv<BestArgs>;
}

/**
 * Open the database behind --db for a report. It must exist (a report never creates an empty database);
 * it is opened read-write so that a database of an older schema is migrated (the views come with migration 2).
 * @throws UsageError when the file does not exist.
 */
export function openForReport(db: string): Store {
	if (db !== ':memory:' && !isPostgresUrl(db) && !existsSync(db)) {
		throw new UsageError(`no database at ${db}; run a sweep first (sweeplab run <file>) or point --db at one`);
	}

	return openStore(db);
}

export interface BestResult {
	sweep: string;
	label: (config: TrialParams) => string;
	result: Tradeoff;
	/** The rows to show: sorted, within the budget when one was given, cut to --top. */
	rows: RankedRow[];
	budget?: {seconds: number; best?: RankedRow};
	importance?: ImportanceResult;
	/** A multi-objective sweep's front, knee and hypervolume over trials. */
	front?: ObjectiveFront;
}

/** `sweeplab best <sweep>`: the ranked configs and the ones worth naming. */
export async function bestCommand(args: BestArgs): Promise<BestResult> {
	if (args.top !== undefined && (!Number.isInteger(args.top) || args.top < 1)) {
		throw new UsageError(`--top ${args.top}: expected a whole number of configs, 1 or more`);
	}

	if (args.budget !== undefined && !(args.budget > 0)) {
		throw new UsageError(`--budget ${args.budget}: expected a positive number of seconds`);
	}

	if (!(args.margin >= 0)) {
		throw new UsageError(`--margin ${args.margin}: expected percentage points, 0 or more (e.g. 0.5)`);
	}

	const store = openForReport(args.db);
	try {
		return await bestOf(store, args);
	} finally {
		await store.close();
	}
}

/** The ranking `best` prints, read from a store already open (as `run` has it when its trials are done). */
export async function bestOf(store: Store, query: Pick<BestArgs, 'db' | 'sweep' | 'top' | 'sort' | 'budget' | 'margin'> & {importance?: boolean}): Promise<BestResult> {
	const data = await rankSweep(store, query.sweep, {margin: query.margin / 100, db: query.db});
	const {label, result} = data;
	let rows = sortRows(result.rows, query.sort);
	let budget: BestResult['budget'];
	if (query.budget !== undefined) {
		rows = rows.filter(row => row.trainSeconds.mean <= query.budget!);
		budget = {seconds: query.budget, best: bestWithinBudget(result.rows, query.budget)};
	}

	return {
		sweep: query.sweep,
		label,
		result,
		rows: rows.slice(0, query.top ?? rows.length),
		budget,
		...(query.importance === true && {importance: sweepImportance(data)}),
		...(data.front && {front: data.front}),
	};
}

/**
 * Which leaderboard columns a narrow terminal gives up first (higher first); rank, config, accuracy and training
 * time always stay, and the config is cut short last.
 */
/** By head; the metric's column (val acc or the sweep's metric) is never dropped. */
const DROP_ORDER: Partial<Record<string, number>> = {
	backend: 10,
	'converged at': 9,
	'best epoch': 8,
	's to best': 7,
	params: 6,
	epochs: 5,
	's/epoch': 4,
	trials: 3,
	'test acc': 2,
	// With the test accuracy: the validation number of the same weights (`<metric head> of tested`) and their epoch.
	'tested epoch': 2,
	Pareto: 1,
};

const dropOrder = (head: string): number | undefined => DROP_ORDER[head] ?? (head.endsWith(' of tested') ? DROP_ORDER['test acc'] : undefined);

/** The terminal leaderboard, fitted to `width` columns, plus one line for each config worth naming. */
export function renderBest(best: BestResult, width = terminalWidth()): string {
	const {label, result} = best;
	const {metric} = result;
	const columns: Column[] = leaderboardHead(metric).map((head, index) => ({head, align: LEADERBOARD_ALIGN[index], drop: dropOrder(head), shrink: head === 'config' ? {comfortable: 36, min: 16, after: 4} : undefined}));
	const table = fitTable(columns, best.rows.map(row => leaderboardCells(row, label, metric)), width);
	const name = (row: RankedRow | undefined) => (row ? `${label(row.config)}: ${metricSpread(metric, row.value)}${metric.name === 'val_accuracy' ? '' : ` ${metric.name}`} in ${seconds(row.trainSeconds.mean)}` : 'none');
	const lines = [best.rows.length > 0 ? table.text : `no configs of sweep '${best.sweep}'${best.budget ? ` train within ${best.budget.seconds} s` : ''}`];
	if (best.rows.length > 0 && table.dropped.length > 0) {
		lines.push(`(left out to fit ${width} columns: ${table.dropped.join(', ')}; a wider terminal or --json shows them)`);
	}

	const within = `${(result.margin * 100).toFixed(1)} ${isFraction(metric) ? 'points' : '%'}`;
	lines.push(`${metric.name === 'val_accuracy' ? 'most accurate:' : 'best:'}             ${name(result.mostAccurate)}`);
	lines.push(`fastest within ${within}: ${name(result.fastestWithinMargin)}`);
	if (!best.front) {
		lines.push(`knee of the Pareto front:  ${result.knee ? name(result.knee) : 'none (the front does not bend)'}`);
	}

	if (best.budget) {
		lines.push(`best within ${best.budget.seconds} s:${' '.repeat(Math.max(1, 13 - String(best.budget.seconds).length))}${name(best.budget.best)}`);
	}

	if (best.rows.some(row => row.tied)) {
		lines.push('"=" after a rank: tied, the mean ± std of the repeats overlap');
	}

	if (best.front) {
		lines.push('', ...renderFront(best.front, best.result, label));
	}

	if (best.importance) {
		lines.push('', ...renderImportance(best.importance, metric));
	}

	return lines.join('\n');
}

/** A multi-objective sweep's front (the configs the "Pareto" column marks), its knee and its hypervolume over trials. */
function renderFront(front: ObjectiveFront, result: Tradeoff, label: BestResult['label']): string[] {
	const configs = new Map(result.rows.map(row => [row.configHash, row.config]));
	const members = frontMembers(front);
	const ranked = front.points.filter(point => point.rank !== null).length;
	const names = members.map(point => label(configs.get(point.configHash) ?? {}));
	const width = Math.max(0, ...names.map(name => name.length));
	const values = (point: FrontPoint) => front.objectives.map((objective, index) => `${objective.name} ${objectiveText(objective, point.values[index])}`).join('  ');
	const knee = front.points.find(point => point.configHash === front.knee);
	return [
		`Pareto front over ${objectivesText(front.objectives)}: ${members.length} of ${ranked} configs`,
		...members.map((point, index) => `  ${names[index].padEnd(width)}  ${values(point)}`),
		`knee: ${knee ? `${label(configs.get(knee.configHash) ?? {})}  ${values(knee)} (${kneeRule(front)})` : 'none (fewer than three distinct front points, or the front does not bend)'}`,
		`hypervolume of the front over trials: ${hypervolumeText(front)}`,
		`  (${hypervolumeScale(front)})`,
	];
}

/** Share of the metric's variance per parameter, most important first, and the top pair. */
function renderImportance(importance: ImportanceResult, metric: MetricSpec): string[] {
	const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
	const width = Math.max(0, ...importance.parameters.map(p => p.name.length));
	const configs = importance.sampledFrom === undefined ? `${importance.trials} configs` : `a random ${importance.trials} of ${importance.sampledFrom} configs`;
	const lines = [`parameter importance (fANOVA over ${configs}: share of ${metric.name === 'val_accuracy' ? 'validation accuracy' : metric.name}'s variance, ± over the forest's trees):`];
	if (importance.parameters.length === 0) {
		lines.push('  no parameter of this sweep varies');
	}

	for (const p of importance.parameters) {
		lines.push(`  ${p.name.padEnd(width)}  ${percent(p.importance).padStart(6)} ± ${percent(p.std)}`);
	}

	if (importance.topInteraction) {
		lines.push(`  top interaction: ${importance.topInteraction.names.join(' × ')}  ${percent(importance.topInteraction.importance)}`);
	}

	return lines;
}

/** The shown rows for --json: plain data, each with its label; NaN spreads become null. */
export function bestJson(best: BestResult): unknown {
	const row = (value: RankedRow | undefined) => value && {label: best.label(value.config), ...value};
	return {
		sweep: best.sweep,
		metric: best.result.metric,
		margin: best.result.margin,
		rows: best.rows.map(row),
		mostAccurate: row(best.result.mostAccurate)?.label ?? null,
		fastestWithinMargin: row(best.result.fastestWithinMargin)?.label ?? null,
		knee: row(best.result.knee)?.label ?? null,
		...(best.budget ? {budget: {seconds: best.budget.seconds, best: row(best.budget.best)?.label ?? null}} : {}),
		...(best.importance ? {importance: best.importance} : {}),
		...(best.front ? {objectives: frontJson(best)} : {}),
	};
}

/** The front for --json: the objectives, each config's values and rank (1 = on the front), the knee, the hypervolume. */
function frontJson(best: BestResult): unknown {
	const front = best.front!;
	const configs = new Map(best.result.rows.map(row => [row.configHash, row.config]));
	const point = (entry: FrontPoint) => ({
		label: best.label(configs.get(entry.configHash) ?? {}),
		configHash: entry.configHash,
		rank: entry.rank,
		front: entry.rank === 1,
		values: Object.fromEntries(front.objectives.map((objective, index) => [objective.name, Number.isFinite(entry.values[index]) ? entry.values[index] : null])),
	});
	const knee = front.points.find(entry => entry.configHash === front.knee);
	return {
		objectives: front.objectives,
		front: frontMembers(front).map(point),
		configs: front.points.map(point),
		knee: knee ? point(knee) : null,
		kneeRule: kneeRule(front),
		hypervolume: front.hypervolume,
		hypervolumeScale: {reference: HYPERVOLUME_REFERENCE, scale: front.scale},
	};
}
