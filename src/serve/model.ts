/**
 * What the dashboard shows, computed from the store with the report's own code (rankSweep, the ranking, the
 * chart specs), so the leaderboard is the one `sweeplab best` prints. Whole-sweep work happens once per change
 * of the sweep and is kept; what a page downloads is bounded (a page of the table, thinned curves, capped
 * charts) whatever the number of trials and epochs.
 */
import {Worker} from 'node:worker_threads';
import type {TopLevelSpec} from 'vega-lite';
import type {ObjectiveFront} from '../report/front.js';
import {frontSpec} from '../report/front-plots.js';
import {rankSweep, type SweepRanking} from '../report/data.js';
import {axisOf, chanceOf, compareValues, fittedDomain, parameterOrder, TOP_IN_COLOUR, varyingKeys} from '../report/chart-common.js';
import {importanceSpec, parallelCoordinatesSpec} from '../report/parameter-plots.js';
import {type CurveSeries, curvesSpec, learningCurvesSpec, tradeoffSpec} from '../report/plots.js';
import {leaderboardCells, leaderboardHead, metricValue} from '../report/format.js';
import {type ImportanceResult, importanceObservations} from '../report/importance.js';
import {bestStepIndex, stepsByTrial} from '../report/leaderboard.js';
import type {RankedRow, Tradeoff} from '../report/ranking.js';
import type {Store, StoredStep, SweepRecord, SweepStatus, TrialRecord} from '../store/store.js';
import {formatValue} from '../sweep/describe.js';
import {isUnfinished, type MetricSpec, type TrialParams, type TrialState} from '../types.js';

/** Points kept per curve: beyond this many epochs a line is thinned (first, last and best epoch always kept), so page weight stops growing with the epoch count. */
export const CURVE_POINTS = 20;
/** Grey context lines on the per-epoch chart; past this many, an even sample of the rest by rank. */
export const GREY_LINES = 60;
/** Points on the accuracy/time chart and lines on the parallel coordinates. */
export const MAX_POINTS = 500;
export const MAX_LINES = 150;
export const MAX_FILTER_VALUES = 50;

export interface TrialLite {
	id: number;
	ordinal: number;
	repeat: number;
	state: TrialState;
	config: string;
	configHash: string;
	/** Planned epochs (steps) of a built-in trial; null when its parameters do not say (a program trial). */
	epochs: number | null;
	epochsRun: number;
	stopReason: string | null;
	host: string | null;
}

export interface SweepSummary {
	name: string;
	question: string | null;
	method: string;
	createdAt: string;
	counts: Record<TrialState, number>;
	total: number;
	/** Trials the sweep will have once every one is added (tpe and random add theirs as they go). */
	planned: number;
	finished: number;
	/** Finished trials per hour over the sweep's active time so far; null before the first one. */
	trialsPerHour: number | null;
	/** Mean measured seconds per epoch; null before the first epoch. */
	secondsPerEpoch: number | null;
	/** Seconds of training left at the measured pace with the trials now running in parallel; null when done or unmeasured. */
	etaSeconds: number | null;
	/** The best config so far by the sweep's metric (its mean best value). */
	best: {label: string; value: number; text: string; trainSeconds: number} | null;
	metric: MetricSpec;
}

export interface SweepAnalysis {
	sweep: SweepRecord;
	/** The swept keys, sorted. */
	keys: string[];
	label: (config: TrialParams) => string;
	result: Tradeoff;
	summary: SweepSummary;
	trials: TrialLite[];
	/** Thinned points of the sweep's metric of the trials the per-epoch chart draws (drawnTrials) and the unfinished ones (`accuracy` holds the metric's value). */
	curves: Map<number, Array<{epoch: number; accuracy: number}>>;
	/** Swept values per parameter with at most MAX_FILTER_VALUES of them, in the parameter's order, for the table's filters. */
	values: Record<string, string[]>;
	/** A multi-objective sweep's front (report/front.ts): its chart takes the trade-off chart's place. */
	front?: ObjectiveFront;
	/** The sweep page's charts, built once per analysis. */
	charts: {tradeoff: TopLevelSpec; curves: TopLevelSpec; parallel: TopLevelSpec};
}

/** Keep at most `max` points: evenly spaced, plus the first, the last and the best. */
export function thin<T>(history: readonly T[], best: number, max = CURVE_POINTS): T[] {
	if (history.length <= max) {
		return [...history];
	}

	const keep = new Set<number>([0, history.length - 1, Math.max(0, best)]);
	for (let i = 0; keep.size < max && i < max; i++) {
		keep.add(Math.round((i * (history.length - 1)) / (max - 1)));
	}

	return [...keep].sort((a, b) => a - b).map(index => history[index]);
}

/** Planned epochs of a built-in trial's parameters; null for parameters without them (a program trial). */
export const plannedEpochs = (config: TrialParams): number | null => (typeof config.epochs === 'number' ? config.epochs : null);

/**
 * The sweep's progress. The mean seconds per epoch comes from the finished trials' step summaries and the steps
 * of the unfinished ones (`unfinished`, read for their curves), so no step of a finished trial is read for it.
 */
function summarise(status: SweepStatus, data: SweepRanking, unfinished: readonly StoredStep[], now: number): SweepSummary {
	const {sweep, counts, total} = status;
	const {definition} = sweep;
	const {trials, result, label} = data;
	const planned = Math.max(total, definition.method === 'grid' ? total : (definition.trials ?? 0) * definition.repeats);
	const finished = total - counts.pending - counts.running - counts.interrupted;
	let [seconds, timed] = [0, 0];
	for (const summary of data.summaries.values()) {
		seconds += summary.stepSeconds;
		timed += summary.timedSteps;
	}

	for (const step of unfinished) {
		if (step.seconds !== undefined && Number.isFinite(step.seconds)) {
			seconds += step.seconds;
			timed++;
		}
	}

	const secondsPerEpoch = timed > 0 ? seconds / timed : null;
	let [firstStart, lastEnd, ended] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0];
	for (const trial of trials) {
		if (trial.startedAt) {
			firstStart = Math.min(firstStart, Date.parse(trial.startedAt));
		}

		if (trial.finishedAt && !isUnfinished(trial.state)) {
			lastEnd = Math.max(lastEnd, Date.parse(trial.finishedAt));
			ended++;
		}
	}

	const done = finished >= planned;
	let trialsPerHour: number | null = null;
	if (ended > 0 && Number.isFinite(firstStart)) {
		const hours = ((done ? lastEnd : now) - firstStart) / 3_600_000;
		trialsPerHour = hours > 0 ? ended / hours : null;
	}

	let etaSeconds: number | null = null;
	const baseEpochs = plannedEpochs(definition.base);
	if (!done && secondsPerEpoch !== null && baseEpochs !== null) {
		const remaining = trials.filter(trial => isUnfinished(trial.state)).reduce((sum, trial) => sum + Math.max(0, (plannedEpochs(trial.config) ?? baseEpochs) - trial.epochsRun), 0)
			+ (planned - total) * baseEpochs;
		etaSeconds = (remaining * secondsPerEpoch) / Math.max(1, counts.running);
	}

	const best = result.mostAccurate;
	return {
		name: sweep.name,
		question: definition.question ?? null,
		method: definition.method,
		createdAt: sweep.createdAt,
		counts,
		total,
		planned,
		finished,
		trialsPerHour,
		secondsPerEpoch,
		etaSeconds,
		best: best ? {label: label(best.config), value: best.value.mean, text: metricValue(result.metric, best.value.mean), trainSeconds: best.trainSeconds.mean} : null,
		metric: result.metric,
	};
}

/**
 * Rank one sweep (rankSweep: from the step summaries the store keeps, as `best` does), then read the steps of the
 * trials the per-epoch chart draws and of the unfinished ones only, thinned. What is kept is the ranked configs, a
 * light record per trial and those curves, so neither time nor memory grows with the epoch count.
 */
export async function analyseSweep(store: Store, status: SweepStatus, now = Date.now()): Promise<SweepAnalysis> {
	const data = await rankSweep(store, status.sweep.name);
	const {metric} = data;
	const trials = data.trials.map(trial => ({
		id: trial.id,
		ordinal: trial.ordinal,
		repeat: trial.repeat,
		state: trial.state,
		config: data.label(trial.config),
		configHash: trial.configHash,
		epochs: plannedEpochs(trial.config),
		epochsRun: trial.epochsRun,
		stopReason: trial.stopReason,
		host: trial.host,
	} satisfies TrialLite));
	const drawn = drawnTrials(data.result, data.keys, data.label, trials);
	const read = new Set([...drawn.inColour, ...drawn.greyShown, ...trials.filter(trial => isUnfinished(trial.state) && trial.epochsRun > 0)].map(trial => trial.id));
	const steps = read.size === 0 ? [] : await store.trialSteps([...read]);
	const curves = new Map<number, Array<{epoch: number; accuracy: number}>>();
	for (const [id, history] of stepsByTrial(steps)) {
		curves.set(id, thin(history, bestStepIndex(history, metric)).map(step => ({epoch: step.step, accuracy: step.metrics[metric.name] ?? Number.NaN})));
	}

	const unfinished = new Set(trials.filter(trial => isUnfinished(trial.state)).map(trial => trial.id));
	const configs = data.result.rows.map(row => row.config);
	const order = parameterOrder(configs, data.keys);
	const values: Record<string, string[]> = {};
	for (const key of data.keys) {
		// A sampled parameter has as many values as configs: a list to pick one from would be no filter at all.
		const distinct = new Map<string, TrialParams>();
		for (const config of configs) {
			distinct.set(formatValue(config[key]), config);
			if (distinct.size > MAX_FILTER_VALUES) {
				break;
			}
		}

		if (distinct.size <= MAX_FILTER_VALUES) {
			values[key] = [...distinct].sort(([, a], [, b]) => order(a, b)).map(([text]) => text);
		}
	}

	const analysis = {
		sweep: data.sweep,
		keys: data.keys,
		label: data.label,
		result: data.result,
		summary: summarise(status, data, steps.filter(step => unfinished.has(step.trialId)), now),
		trials,
		curves,
		values,
		...(data.front && {front: data.front}),
	};
	return {...analysis, charts: sweepCharts(analysis)};
}

/** A ranked row as `sweeplab best --json` prints it: the label first, NaN spreads as null (by JSON.stringify). */
export function rowJson(row: RankedRow, label: (config: TrialParams) => string): Record<string, unknown> {
	return {label: label(row.config), ...row};
}

export interface TableQuery {
	offset: number;
	limit: number;
	/** A column of the row (rank, value, trainSeconds, paramCount, ...) or `param:<key>`. */
	sort: string;
	descending: boolean;
	/** Keep configs with at least one trial in this state. */
	state?: TrialState;
	/** Keep configs whose swept value of each key prints as given (describe.ts formatting). */
	params: Record<string, string>;
}

const spreadMean = (value: unknown): number => (typeof value === 'object' && value !== null && 'mean' in value ? (value as {mean: number}).mean : Number.NaN);

/** One page of the leaderboard, filtered and sorted; the rows are exactly `best --json`'s. */
export function leaderboardPage(analysis: SweepAnalysis, query: TableQuery) {
	let rows = analysis.result.rows.filter(row => (query.state ? (row.states[query.state] ?? 0) > 0 : true));
	for (const [key, value] of Object.entries(query.params)) {
		rows = rows.filter(row => formatValue(row.config[key]) === value);
	}

	if (query.sort !== 'rank' || query.descending) {
		const sortKey = (row: RankedRow): number => {
			const value = (row as unknown as Record<string, unknown>)[query.sort];
			return typeof value === 'number' ? value : spreadMean(value);
		};
		const direction = query.descending ? -1 : 1;
		rows = [...rows].sort((a, b) => {
			if (query.sort.startsWith('param:')) {
				const key = query.sort.slice('param:'.length);
				return direction * compareValues(a.config[key], b.config[key]);
			}

			const [x, y] = [sortKey(a), sortKey(b)];
			// Rows without a value go last whichever the direction, as in `best --sort time`.
			if (!Number.isFinite(x) || !Number.isFinite(y)) {
				return Number.isFinite(x) ? -1 : Number.isFinite(y) ? 1 : 0;
			}

			return direction * (x - y);
		});
	}

	const page = rows.slice(query.offset, query.offset + query.limit);
	const hashes = new Set(page.map(row => row.configHash));
	const trials: Record<string, TrialLite[]> = {};
	for (const trial of analysis.trials) {
		if (hashes.has(trial.configHash)) {
			(trials[trial.configHash] ??= []).push(trial);
		}
	}

	return {
		total: rows.length,
		head: leaderboardHead(analysis.result.metric),
		// The table's cells as `best` and the markdown report print them.
		cells: page.map(row => leaderboardCells(row, analysis.label, analysis.result.metric)),
		rows: page.map(row => rowJson(row, analysis.label)),
		trials,
	};
}

/**
 * The trials the per-epoch chart draws: those of the top TOP_IN_COLOUR ranked configs and the running ones in
 * colour; of the other trials that have steps, at most GREY_LINES in grey, an even sample by rank.
 */
export function drawnTrials(result: Pick<Tradeoff, 'rows'>, keys: string[], label: (config: TrialParams) => string, trials: readonly TrialLite[]) {
	const top = result.rows.filter(row => row.rank !== null).slice(0, TOP_IN_COLOUR);
	const order = parameterOrder(top.map(row => row.config), keys);
	const coloured = [...top].sort((a, b) => order(a.config, b.config)).map(row => label(row.config));
	const topConfigs = new Set(coloured);
	const withSteps = trials.filter(trial => trial.epochsRun > 0);
	const colour = (trial: TrialLite) => topConfigs.has(trial.config) || trial.state === 'running';
	// By rank: the configs' trials in the rows' order (each in its ordinal order).
	const byConfig = new Map<string, TrialLite[]>();
	for (const trial of withSteps) {
		if (!colour(trial)) {
			const list = byConfig.get(trial.configHash);
			if (list) {
				list.push(trial);
			} else {
				byConfig.set(trial.configHash, [trial]);
			}
		}
	}

	const grey = result.rows.flatMap(row => byConfig.get(row.configHash) ?? []);
	const greyShown = grey.filter((_, index) => index % Math.ceil(grey.length / GREY_LINES) === 0);
	return {top, coloured, colour, inColour: withSteps.filter(colour), grey, greyShown};
}

/**
 * The per-epoch chart of the dashboard: every trial that has epochs, running ones included (dashed). The top
 * configs' trials and the running ones are in colour; the rest are grey, at most GREY_LINES of them.
 */
export function liveCurvesSpec(analysis: Omit<SweepAnalysis, 'charts'>): TopLevelSpec {
	const metricAxis = axisOf(analysis.result.metric);
	const {top, coloured, colour, inColour, grey, greyShown} = drawnTrials(analysis.result, analysis.keys, analysis.label, analysis.trials);
	const topConfigs = new Set(coloured);
	const shown = new Set([...inColour, ...greyShown]);
	const series: CurveSeries[] = analysis.trials
		.filter(trial => shown.has(trial) && analysis.curves.has(trial.id))
		.map(trial => ({id: String(trial.id), config: trial.config, colour: colour(trial), state: trial.state, points: analysis.curves.get(trial.id)!}));
	const running = inColour.filter(trial => trial.state === 'running').map(trial => trial.config);
	const legend = [...coloured, ...running.filter(config => !topConfigs.has(config))];
	const keys = varyingKeys(top.map(row => row.config));
	return curvesSpec(series, {
		coloured: [...new Set(legend)],
		ordered: keys.length === 1 && top.every(row => typeof row.config[keys[0]] === 'number') && running.every(config => topConfigs.has(config)),
		axis: metricAxis,
		chance: chanceOf(analysis.result.metric),
		title: `${metricAxis.title.charAt(0).toUpperCase()}${metricAxis.title.slice(1)} per epoch, every trial (dashed: running)`,
		subtitle: [
			`${coloured.length > 0 ? `The top ${coloured.length} configs and the running trials` : 'The running trials'} in colour${grey.length > 0 ? `, ${greyShown.length === grey.length ? `the other ${grey.length} trials` : `${greyShown.length} of the other ${grey.length} trials`} in grey` : ''}.`,
		],
		dataName: 'curves',
	});
}

function sweepCharts(analysis: Omit<SweepAnalysis, 'charts'>): SweepAnalysis['charts'] {
	return {
		tradeoff: analysis.front
			? frontSpec(analysis.front, new Map(analysis.result.rows.map(row => [row.configHash, row.config])), analysis.label)
			: tradeoffSpec(analysis.result.rows, analysis.label, analysis.result.metric, {maxPoints: MAX_POINTS}),
		curves: liveCurvesSpec(analysis),
		parallel: parallelCoordinatesSpec(analysis.result.rows, analysis.sweep.definition, analysis.label, analysis.result.metric, {maxLines: MAX_LINES}),
	};
}

const importances = new WeakMap<SweepAnalysis, Promise<ImportanceView>>();
export type ImportanceView = {chart: TopLevelSpec} | {note: string};
const NO_IMPORTANCE = 'Parameter importance needs at least two configs with a finished value of the sweep\'s metric.';

/**
 * The parameter importance chart of a sweep, computed once per analysis when first asked for, in a thread of its
 * own (importance-thread.ts: a forest of 64 trees takes seconds of CPU on a large sweep, which on the server's
 * thread would hold up every other request). `threads` holds the running ones, for the server to end on close. A
 * sweep with fewer than two ranked configs gets the reason instead.
 */
export async function importanceView(analysis: SweepAnalysis, threads: Set<Worker>): Promise<ImportanceView> {
	let view = importances.get(analysis);
	if (!view) {
		view = importanceInThread(analysis, threads);
		importances.set(analysis, view);
		view.catch(() => importances.delete(analysis));
	}

	return view;
}

async function importanceInThread(analysis: SweepAnalysis, threads: Set<Worker>): Promise<ImportanceView> {
	const observations = importanceObservations(analysis);
	if (observations.length < 2) {
		return {note: NO_IMPORTANCE};
	}

	const worker = new Worker(new URL('importance-thread.js', import.meta.url), {workerData: {parameters: analysis.sweep.definition.parameters, observations}});
	threads.add(worker);
	try {
		const message = await new Promise<{result: ImportanceResult} | {error: string}>((resolve, reject) => {
			worker.once('message', resolve);
			worker.once('error', reject);
			worker.once('exit', code => reject(new Error(`the importance thread ended (exit code ${code}) without an answer`)));
		});
		return 'result' in message ? {chart: importanceSpec(message.result)} : {note: NO_IMPORTANCE};
	} finally {
		threads.delete(worker);
		void worker.terminate();
	}
}

/** The learning curves of one trial (train against validation), drawn with the report's spec. */
export function trialCurvesSpec(trial: TrialRecord, steps: readonly StoredStep[], row: RankedRow | undefined, label: (config: TrialParams) => string): TopLevelSpec {
	const own = row ?? ({config: trial.config, rank: null} as unknown as RankedRow);
	const spec = learningCurvesSpec([trial], steps, [own], label, {allStates: true}) as unknown as Record<string, unknown>;
	return {...spec, title: {text: `Learning curves of trial ${trial.id} (${trial.state}; dashed: converged at)`, anchor: 'start'}} as TopLevelSpec;
}

/**
 * Two or more sweeps on one plot: each sweep's configs against training time with its Pareto front (left), and
 * the validation curve of each sweep's best config, mean over its trials (right).
 */
export function compareSpec(analyses: readonly SweepAnalysis[]): TopLevelSpec {
	// One axis for all: the first sweep's metric (sweeps compared are meant to share it).
	const {metric} = analyses[0].result;
	const {factor, title} = axisOf(metric);
	const chance = chanceOf(metric);
	const points = analyses.flatMap(analysis =>
		analysis.result.rows
			.filter(row => Number.isFinite(row.value.mean) && Number.isFinite(row.trainSeconds.mean))
			.slice(0, MAX_POINTS)
			.map(row => ({sweep: analysis.sweep.name, config: analysis.label(row.config), accuracy: row.value.mean * factor, seconds: row.trainSeconds.mean, front: row.pareto})),
	);
	const curves = analyses.flatMap(analysis => {
		const best = analysis.result.mostAccurate;
		if (!best) {
			return [];
		}

		const perEpoch = new Map<number, number[]>();
		for (const trial of analysis.trials.filter(trial => trial.configHash === best.configHash && trial.state === 'completed')) {
			for (const point of analysis.curves.get(trial.id) ?? []) {
				if (Number.isFinite(point.accuracy)) {
					perEpoch.set(point.epoch, [...(perEpoch.get(point.epoch) ?? []), point.accuracy]);
				}
			}
		}

		return [...perEpoch].map(([epoch, values]) => ({sweep: analysis.sweep.name, config: analysis.label(best.config), epoch, accuracy: (values.reduce((sum, value) => sum + value, 0) / values.length) * factor}));
	});
	const informative = points.filter(point => chance === undefined || point.accuracy > chance * factor).map(point => point.accuracy);
	const domain = fittedDomain(informative, 0.5 * factor / 100) ?? [0, 100];
	const colour = {field: 'sweep', type: 'nominal' as const, title: 'sweep', sort: analyses.map(analysis => analysis.sweep.name), legend: {labelLimit: 0}};
	const y = {field: 'accuracy', type: 'quantitative' as const, title, scale: {domain, nice: false}};
	const tooltip = [{field: 'sweep'}, {field: 'config'}, {field: 'accuracy', title, format: '.4~f'}];
	return {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		title: {text: `Comparing ${analyses.map(analysis => analysis.sweep.name).join(', ')}`, subtitle: chance === undefined ? undefined : [`Configs at chance level (≤ ${chance * 100}%) are off the accuracy axis.`], anchor: 'start'},
		hconcat: [
			{
				title: `${title} against training time (lines: Pareto fronts)`,
				width: 420,
				height: 300,
				data: {values: points},
				layer: [
					{mark: {type: 'point', filled: true, size: 40, opacity: 0.35, clip: true}, encoding: {x: {field: 'seconds', type: 'quantitative', title: 'training time (s)', scale: {zero: false}}, y, color: colour, tooltip}},
					{transform: [{filter: 'datum.front'}], mark: {type: 'line', interpolate: 'step-after', point: {size: 50, filled: true}, clip: true}, encoding: {x: {field: 'seconds', type: 'quantitative'}, y, color: colour, order: {field: 'seconds'}, tooltip}},
				],
			},
			{
				title: `Each sweep's best config, ${title} per epoch`,
				width: 420,
				height: 300,
				data: {values: curves},
				mark: {type: 'line', point: {size: 16}, clip: true},
				encoding: {x: {field: 'epoch', type: 'quantitative', axis: {tickMinStep: 1, format: 'd'}}, y: {...y, scale: {zero: false}}, color: colour, tooltip},
			},
		],
		config: {axis: {labelFontSize: 11, titleFontSize: 12}, legend: {orient: 'bottom'}},
	} as TopLevelSpec;
}
