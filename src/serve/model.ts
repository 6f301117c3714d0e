/**
 * What the dashboard shows, ranked by the store as `sweeplab best` ranks (Store.rankConfigs) and drawn with the
 * report's chart specs, so the leaderboard is the one `best` prints. Neither memory nor what a page downloads grows
 * with the sweep: the store ranks it, the leaderboard comes a page at a time from the store, and the charts get the
 * best configs, the front and an even sample of the rest, with thinned curves. The analysis is made once per change
 * of the sweep and kept.
 */
import {Worker} from 'node:worker_threads';
import type {TopLevelSpec} from 'vega-lite';
import {frontSpec} from '../report/front-plots.js';
import {frontFlags, replayTested} from '../report/data.js';
import {objectiveFront, type ObjectiveFront} from '../report/front.js';
import {axisOf, chanceOf, fittedDomain, parameterOrder, TOP_IN_COLOUR, varyingKeys} from '../report/chart-common.js';
import {importanceSpec, parallelCoordinatesSpec} from '../report/parameter-plots.js';
import {type CurveSeries, curvesSpec, learningCurvesSpec, tradeoffSpec} from '../report/plots.js';
import {leaderboardCells, leaderboardHead, metricValue} from '../report/format.js';
import type {ImportanceResult} from '../report/importance.js';
import {bestStepIndex, needsReplay, stepsByTrial} from '../report/leaderboard.js';
import {type RankedRow, rankQuery, type Tradeoff, tradeoffOf} from '../report/ranking.js';
import type {RankedConfig, Store, StoredStep, SweepActivity, SweepRecord, SweepStatus, TrialRecord} from '../store/store.js';
import {describeConfig, formatValue, sweptKeys} from '../sweep/describe.js';
import {isUnfinished, type MetricSpec, sweepMetric, type TrialParams, type TrialState} from '../types.js';

/** Points kept per curve: beyond this many epochs a line is thinned (first, last and best epoch always kept), so page weight stops growing with the epoch count. */
export const CURVE_POINTS = 20;
/** Grey context lines on the per-epoch chart; past this many, an even sample of the rest by rank. */
export const GREY_LINES = 60;
/** Points on the accuracy/time chart and lines on the parallel coordinates. */
export const MAX_POINTS = 500;
export const MAX_LINES = 150;
export const MAX_FILTER_VALUES = 50;
/** The best configs an analysis holds whole: what the parallel coordinates draw, and the leaderboard's first pages. */
export const TOP_HELD = Math.max(MAX_LINES, TOP_IN_COLOUR);

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
	/**
	 * The configs the charts draw (the best, the front, an even sample by rank; every config of a multi-objective
	 * sweep), ranked by the store; mostAccurate, fastestWithinMargin and the knee are the whole sweep's.
	 */
	result: Tradeoff;
	/** The ranked configs of `result.rows` with their places; the first `held` places of the `total` configs are all there. */
	configs: RankedConfig[];
	total: number;
	held: number;
	/** Configs of the whole sweep with a value (a rank), and with a value and a training time. */
	ranked: number;
	usable: number;
	/** Trials of the whole sweep that have recorded a step. */
	withSteps: number;
	summary: SweepSummary;
	/** The trials of result.rows' configs, and the unfinished trials that have recorded a step. */
	trials: TrialLite[];
	/** Thinned points of the sweep's metric of the trials the per-epoch chart draws (drawnTrials) and the unfinished ones (`accuracy` holds the metric's value). */
	curves: Map<number, Array<{epoch: number; accuracy: number}>>;
	/** Swept values per parameter with at most MAX_FILTER_VALUES of them, in the parameter's order, for the table's filters. */
	values: Record<string, string[]>;
	/** For each of `values`' keys, each value as shown -> as the store writes it (what the leaderboard's filter asks for). */
	valueTexts: Record<string, Map<string, string[]>>;
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
 * The sweep's progress, from the store's sums over its trials (Store.sweepActivity: the finished trials' step
 * summaries, start and finish times, epochs left) and the steps of the unfinished ones (`unfinished`, read for
 * their curves), so no step of a finished trial is read for it.
 */
function summarise(status: SweepStatus, activity: SweepActivity, result: Tradeoff, label: (config: TrialParams) => string, unfinished: readonly StoredStep[], now: number): SweepSummary {
	const {sweep, counts, total} = status;
	const {definition} = sweep;
	const planned = Math.max(total, definition.method === 'grid' ? total : (definition.trials ?? 0) * definition.repeats);
	const finished = total - counts.pending - counts.running - counts.interrupted;
	let [seconds, timed] = [activity.stepSeconds, activity.timedSteps];
	for (const step of unfinished) {
		if (step.seconds !== undefined && Number.isFinite(step.seconds)) {
			seconds += step.seconds;
			timed++;
		}
	}

	const secondsPerEpoch = timed > 0 ? seconds / timed : null;
	const firstStart = activity.firstStartedAt === null ? Number.NaN : Date.parse(activity.firstStartedAt);
	const lastEnd = activity.lastFinishedAt === null ? Number.NaN : Date.parse(activity.lastFinishedAt);
	const done = finished >= planned;
	let trialsPerHour: number | null = null;
	if (activity.ended > 0 && Number.isFinite(firstStart)) {
		const hours = ((done ? lastEnd : now) - firstStart) / 3_600_000;
		trialsPerHour = hours > 0 ? activity.ended / hours : null;
	}

	let etaSeconds: number | null = null;
	const baseEpochs = plannedEpochs(definition.base);
	if (!done && secondsPerEpoch !== null && baseEpochs !== null) {
		etaSeconds = ((activity.remainingEpochs + (planned - total) * baseEpochs) * secondsPerEpoch) / Math.max(1, counts.running);
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

const toLite = (label: (config: TrialParams) => string) => (trial: TrialRecord): TrialLite => ({
	id: trial.id,
	ordinal: trial.ordinal,
	repeat: trial.repeat,
	state: trial.state,
	config: label(trial.config),
	configHash: trial.configHash,
	epochs: plannedEpochs(trial.config),
	epochsRun: trial.epochsRun,
	stopReason: trial.stopReason,
	host: trial.host,
});

/**
 * The store's ranked configs made whole: a multi-objective sweep's front flags, and the tested epoch of configs
 * with trials recorded before the trainer reported test_epoch (report/data.ts replayTested; such databases are
 * small, and only they read trials and steps here).
 */
async function finish(store: Store, sweep: SweepRecord, configs: readonly RankedConfig[], metric: MetricSpec, front: ObjectiveFront | undefined): Promise<void> {
	if (front) {
		frontFlags(configs.map(config => config.row), front);
	}

	const replayed = configs.filter(config => config.replayed > 0).map(config => config.row.configHash);
	if (replayed.length > 0) {
		const trials = await store.trialsOf(sweep.id, {configHashes: replayed});
		const summaries = new Map((await store.stepSummaries(sweep.id)).map(summary => [summary.trialId, summary]));
		const steps = await store.trialSteps(trials.filter(trial => needsReplay(trial)).map(trial => trial.id));
		replayTested(configs, trials, summaries, stepsByTrial(steps), metric);
	}
}

/**
 * Rank one sweep in the store (Store.rankConfigs, as `best` does) and read only what the page draws: the configs the
 * charts show (the best, the front, an even sample by rank), their trials and the running ones, and the thinned steps
 * of the trials the per-epoch chart draws. What is kept is bounded whatever the number of trials and epochs; the
 * leaderboard is paged by the store (leaderboardPage).
 */
export async function analyseSweep(store: Store, status: SweepStatus, now = Date.now()): Promise<SweepAnalysis> {
	const {sweep} = status;
	const keys = sweptKeys(sweep.definition);
	const metric = sweepMetric(sweep.definition);
	const label = (config: TrialParams) => describeConfig(config, keys, sweep.definition.parameters);
	const {objectives} = sweep.definition;
	let front: ObjectiveFront | undefined;
	if (objectives) {
		// A front over the sweep's own objectives needs every completed trial's steps (report/front.ts): these sweeps
		// are asked-and-told or sampled a few hundred trials at a time, not tens of thousands.
		const all = await store.trials(sweep.id);
		const completed = all.filter(trial => trial.state === 'completed').map(trial => trial.id);
		front = objectiveFront(objectives, all, completed.length > 0 ? await store.trialSteps(completed) : []);
	}

	// A multi-objective sweep's chart draws its front's every config; the others draw a bounded selection.
	const ranked = await store.rankConfigs(sweep.id, rankQuery(metric, objectives ? {kind: 'all'} : {kind: 'chart', top: TOP_HELD, sample: MAX_POINTS}));
	await finish(store, sweep, ranked.configs, metric, front);
	const tradeoff = tradeoffOf(ranked.configs, metric);
	const result = front ? {...tradeoff, knee: tradeoff.rows.find(row => row.configHash === front.knee)} : tradeoff;
	const activity = await store.sweepActivity(sweep.id, plannedEpochs(sweep.definition.base));
	const trials = (await store.trialsOf(sweep.id, {configHashes: result.rows.map(row => row.configHash), active: true})).map(toLite(label));
	const drawn = drawnTrials(result, keys, label, trials, activity.withSteps);
	const read = new Set([...drawn.inColour, ...drawn.greyShown, ...trials.filter(trial => isUnfinished(trial.state) && trial.epochsRun > 0)].map(trial => trial.id));
	const steps = read.size === 0 ? [] : await store.trialSteps([...read]);
	const curves = new Map<number, Array<{epoch: number; accuracy: number}>>();
	for (const [id, history] of stepsByTrial(steps)) {
		curves.set(id, thin(history, bestStepIndex(history, metric)).map(step => ({epoch: step.step, accuracy: step.metrics[metric.name] ?? Number.NaN})));
	}

	const unfinished = new Set(trials.filter(trial => isUnfinished(trial.state)).map(trial => trial.id));
	const values: Record<string, string[]> = {};
	const valueTexts: Record<string, Map<string, string[]>> = {};
	for (const key of keys) {
		// A sampled parameter has as many values as configs: a list to pick one from would be no filter at all.
		// eslint-disable-next-line no-await-in-loop
		const texts = await store.configValues(sweep.id, key, MAX_FILTER_VALUES + 1);
		if (texts.length <= MAX_FILTER_VALUES) {
			const byText = new Map<string, {value: unknown; texts: string[]}>();
			for (const text of texts) {
				const value = JSON.parse(text) as unknown;
				const shown = formatValue(value);
				byText.set(shown, {value, texts: [...(byText.get(shown)?.texts ?? []), text]});
			}

			const order = parameterOrder([...byText.values()].map(({value}) => ({[key]: value}) as TrialParams), [key]);
			values[key] = [...byText].sort(([, a], [, b]) => order({[key]: a.value} as TrialParams, {[key]: b.value} as TrialParams)).map(([shown]) => shown);
			valueTexts[key] = new Map([...byText].map(([shown, {texts}]) => [shown, texts]));
		}
	}

	const analysis = {
		sweep,
		keys,
		label,
		result,
		total: ranked.total,
		held: objectives ? ranked.total : Math.min(TOP_HELD, ranked.total),
		configs: ranked.configs,
		ranked: ranked.ranked,
		usable: ranked.usable,
		withSteps: activity.withSteps,
		summary: summarise(status, activity, result, label, steps.filter(step => unfinished.has(step.trialId)), now),
		trials,
		curves,
		values,
		valueTexts,
		...(front && {front}),
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
	/** Keep configs whose swept value of each key prints as given (describe.ts formatting; one of SweepAnalysis.values). */
	params: Record<string, string>;
}

/** One page of the leaderboard, filtered, sorted and paged by the store; the rows are exactly `best --json`'s. */
export async function leaderboardPage(store: Store, analysis: SweepAnalysis, query: TableQuery) {
	const params = Object.fromEntries(Object.entries(query.params).map(([key, shown]) => [key, analysis.valueTexts[key]?.get(shown) ?? []]));
	const {metric} = analysis.result;
	// The first pages in rank order, unfiltered, are in the analysis already (the same query's rows): the page as it
	// opens costs no second ranking.
	const held = query.sort === 'rank' && !query.descending && !query.state && Object.keys(params).length === 0 && query.offset + query.limit <= analysis.held;
	const page = held
		? {total: analysis.total, configs: analysis.configs.filter(config => config.position > query.offset && config.position <= query.offset + query.limit)}
		: await store.rankConfigs(analysis.sweep.id, rankQuery(metric, {kind: 'page', sort: query.sort, descending: query.descending, state: query.state, params, offset: query.offset, limit: query.limit}));
	if (!held) {
		await finish(store, analysis.sweep, page.configs, metric, analysis.front);
	}

	const rows = page.configs.map(config => config.row);
	const trials: Record<string, TrialLite[]> = {};
	if (rows.length > 0) {
		for (const trial of (await store.trialsOf(analysis.sweep.id, {configHashes: rows.map(row => row.configHash)})).map(toLite(analysis.label))) {
			(trials[trial.configHash] ??= []).push(trial);
		}
	}

	return {
		total: page.total,
		head: leaderboardHead(metric),
		// The table's cells as `best` and the markdown report print them.
		cells: rows.map(row => leaderboardCells(row, analysis.label, metric)),
		rows: rows.map(row => rowJson(row, analysis.label)),
		trials,
	};
}

/** The ranked row of one config of the sweep (for its trials' pages), or undefined. */
export async function configRow(store: Store, analysis: SweepAnalysis, configHash: string): Promise<RankedRow | undefined> {
	const {configs} = await store.rankConfigs(analysis.sweep.id, rankQuery(analysis.result.metric, {kind: 'configs', hashes: [configHash]}));
	await finish(store, analysis.sweep, configs, analysis.result.metric, analysis.front);
	return configs[0]?.row;
}

/**
 * The trials the per-epoch chart draws: those of the top TOP_IN_COLOUR ranked configs and the running ones in
 * colour; of the other trials that have steps, at most GREY_LINES in grey, an even sample by rank.
 */
export function drawnTrials(result: Pick<Tradeoff, 'rows'>, keys: string[], label: (config: TrialParams) => string, trials: readonly TrialLite[], withStepsTotal?: number) {
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
	const inColour = withSteps.filter(colour);
	// `trials` may be a selection (the dashboard reads those of the configs its charts draw): `withSteps` counts all.
	return {top, coloured, colour, inColour, grey, greyShown, greyTotal: Math.max(grey.length, (withStepsTotal ?? 0) - inColour.length)};
}

/**
 * The per-epoch chart of the dashboard: every trial that has epochs, running ones included (dashed). The top
 * configs' trials and the running ones are in colour; the rest are grey, at most GREY_LINES of them.
 */
export function liveCurvesSpec(analysis: Omit<SweepAnalysis, 'charts'>): TopLevelSpec {
	const metricAxis = axisOf(analysis.result.metric);
	const {top, coloured, colour, inColour, greyShown, greyTotal} = drawnTrials(analysis.result, analysis.keys, analysis.label, analysis.trials, analysis.withSteps);
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
			`${coloured.length > 0 ? `The top ${coloured.length} configs and the running trials` : 'The running trials'} in colour${greyTotal > 0 ? `, ${greyShown.length === greyTotal ? `the other ${greyTotal} trials` : `${greyShown.length} of the other ${greyTotal} trials`} in grey` : ''}.`,
		],
		dataName: 'curves',
	});
}

function sweepCharts(analysis: Omit<SweepAnalysis, 'charts'>): SweepAnalysis['charts'] {
	return {
		tradeoff: analysis.front
			? frontSpec(analysis.front, new Map(analysis.result.rows.map(row => [row.configHash, row.config])), analysis.label)
			: tradeoffSpec(analysis.result.rows, analysis.label, analysis.result.metric, {maxPoints: MAX_POINTS, usableTotal: analysis.usable}),
		curves: liveCurvesSpec(analysis),
		parallel: parallelCoordinatesSpec(analysis.result.rows, analysis.sweep.definition, analysis.label, analysis.result.metric, {maxLines: MAX_LINES, rankedTotal: analysis.ranked}),
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
export async function importanceView(store: Store, analysis: SweepAnalysis, threads: Set<Worker>): Promise<ImportanceView> {
	let view = importances.get(analysis);
	if (!view) {
		view = importanceInThread(store, analysis, threads);
		importances.set(analysis, view);
		view.catch(() => importances.delete(analysis));
	}

	return view;
}

async function importanceInThread(store: Store, analysis: SweepAnalysis, threads: Set<Worker>): Promise<ImportanceView> {
	// Every ranked config's swept values and mean (importanceObservations' rows), read for the forest and let go.
	const observations = (await store.configMeans(analysis.sweep.id, rankQuery(analysis.result.metric, {kind: 'all'}), analysis.keys))
		.map(({config, value}) => ({params: config, value}));
	if (observations.length < 2) {
		return {note: NO_IMPORTANCE};
	}

	const worker = new Worker(new URL('importance-thread.js', import.meta.url), {workerData: {parameters: analysis.sweep.definition.parameters, observations}, resourceLimits: {maxYoungGenerationSizeMb: 4}});
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
