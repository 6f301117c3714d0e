/**
 * The charts of results over training as Vega-Lite specs (pure data in, spec out), shared by the static reports
 * (rendered to SVG with chart-common.ts's renderSvg) and the dashboard (drawn by vega-embed in the browser):
 * accuracy against training time, the metric per epoch, and learning curves.
 *
 * What makes them readable: axes fitted to the informative range, with configs that learned nothing (chance
 * level) or diverged marked apart rather than stretching the scale; ordered colours for an ordered parameter and
 * panels in the parameter's order; the top configs in colour over the rest in grey, and small multiples for the
 * top few only, so a 400-config sweep stays a readable chart. Non-finite metrics (diverged epochs) are left out
 * of every chart: a single NaN would blank a scale.
 */
import type {TopLevelSpec} from 'vega-lite';
import type {StoredStep, TrialRecord} from '../store/store.js';
import type {MetricSpec, TrialState} from '../types.js';
import {convergedEpoch} from './convergence.js';
import {lossHistory, stepsByTrial} from './leaderboard.js';
import {kneeIndex} from './pareto.js';
import {axisOf, capitalised, CHANCE_LEVEL, chanceOf, colourScale, FACET_COLUMNS, fittedDomain, font, GREY, type Label, orderedParameter, parameterOrder, round, SCHEMA, TITLE, TOP_IN_COLOUR, TOP_PANELS, varyingKeys} from './chart-common.js';
import type {RankedRow} from './ranking.js';

// --- Accuracy against training time ----------------------------------------------------------------------

export interface TradeoffOptions {
	/** Draw at most this many configs (the front and the best first, then an even sample of the rest by rank). */
	maxPoints?: number;
	/** How many configs of the whole sweep could be drawn, when `rows` are a selection of them (the dashboard's). */
	usableTotal?: number;
}

/**
 * Mean validation accuracy against mean training seconds, one point per config with ±1 std error bars over
 * repeats; the Pareto front is the step line through the red points, each labelled with its rank (the
 * leaderboard names them; the dashboard shows the config on hover). The accuracy axis covers the configs that
 * learned something; chance-level configs sit on the bottom edge as grey triangles. Time is on a log axis when it
 * spans more than a factor of 20.
 */
export function tradeoffSpec(rows: readonly RankedRow[], label: Label, metric: MetricSpec, options: TradeoffOptions = {}): TopLevelSpec {
	const {factor, title} = axisOf(metric);
	const chance = chanceOf(metric);
	const usable = rows.filter(row => Number.isFinite(row.value.mean) && Number.isFinite(row.trainSeconds.mean));
	const shown = sample(usable, options.maxPoints ?? Number.POSITIVE_INFINITY, row => row.pareto);
	const informative = shown.filter(row => chance === undefined || row.value.mean > chance);
	// The knee in the ranking's orientation: higher is better (a metric to minimise is negated).
	const oriented = (value: number) => (metric.goal === 'minimize' ? -value : value);
	const kneeAt = kneeIndex(rows.map(row => ({accuracy: oriented(row.value.mean), seconds: row.trainSeconds.mean})), rows.map(row => row.pareto));
	const knee = kneeAt === undefined ? undefined : rows[kneeAt];
	const domain = fittedDomain((informative.length > 0 ? informative : shown).map(row => row.value.mean * factor), 0.5 * factor / 100) ?? [0, 100];
	const values = shown.map(row => {
		const apart = chance !== undefined && row.value.mean * factor < domain[0];
		const std = (value: number) => (Number.isFinite(value) ? value : 0);
		return {
			config: label(row.config),
			rank: row.rank === null ? '' : `#${row.rank}${row.tied ? '=' : ''}`,
			accuracy: round(apart ? domain[0] : row.value.mean * factor),
			trueAccuracy: round(row.value.mean * factor),
			accuracyLow: round(apart ? domain[0] : Math.max(domain[0], (row.value.mean - std(row.value.std)) * factor)),
			accuracyHigh: round(apart ? domain[0] : Math.min(domain[1], (row.value.mean + std(row.value.std)) * factor)),
			seconds: round(row.trainSeconds.mean),
			secondsLow: round(Math.max(row.trainSeconds.mean - std(row.trainSeconds.std), row.trainSeconds.mean / 2)),
			secondsHigh: round(row.trainSeconds.mean + std(row.trainSeconds.std)),
			group: apart ? 'chance level (drawn at the bottom edge)' : row.pareto ? 'Pareto front' : 'dominated',
			knee: row === knee,
		};
	});
	// Legend entries for the groups present only.
	const groups = ([['Pareto front', '#e45756', 'circle'], ['dominated', '#4c78a8', 'circle'], ['chance level (drawn at the bottom edge)', '#999999', 'triangle-down']] as const)
		.filter(([group]) => values.some(value => value.group === group));
	const front = values.filter(value => value.group === 'Pareto front').sort((a, b) => a.seconds - b.seconds);
	const sides = new Map(front.map((value, index) => [value, index % 2]));
	const sided = values.map(value => ({...value, side: sides.get(value) ?? 0}));
	const seconds = values.map(value => value.seconds);
	const logTime = seconds.length > 1 && Math.min(...seconds) > 0 && Math.max(...seconds) / Math.min(...seconds) > 20;
	const x = {field: 'seconds', type: 'quantitative' as const, title: `training time (s, mean over repeats${logTime ? ', log scale' : ''})`, scale: logTime ? {type: 'log' as const} : {zero: false, nice: true}};
	const y = {field: 'accuracy', type: 'quantitative' as const, title, scale: {domain, nice: false}};
	const apartCount = values.filter(value => value.group.startsWith('chance')).length;
	const subtitle = [
		shown.length < (options.usableTotal ?? usable.length) ? `${shown.length} of ${options.usableTotal ?? usable.length} configs drawn (the front, then an even sample by rank).` : undefined,
		apartCount > 0 ? `${apartCount} config${apartCount === 1 ? '' : 's'} at chance level (≤ ${CHANCE_LEVEL * 100}%) drawn as triangles on the bottom edge.` : undefined,
		'Labels: leaderboard rank of each front config.',
	].filter(line => line !== undefined);
	return {
		$schema: SCHEMA,
		title: {text: `${capitalised(title)} against training time (±1 std over repeats)`, subtitle, ...TITLE},
		width: 520,
		height: 340,
		data: {values: sided},
		layer: [
			{transform: [{filter: 'datum.accuracyHigh > datum.accuracyLow'}], mark: {type: 'rule', color: '#aaa'}, encoding: {x, y: {...y, field: 'accuracyLow'}, y2: {field: 'accuracyHigh'}}},
			{transform: [{filter: 'datum.secondsHigh > datum.secondsLow'}], mark: {type: 'rule', color: '#aaa'}, encoding: {y, x: {...x, field: 'secondsLow'}, x2: {field: 'secondsHigh'}}},
			{
				transform: [{filter: "datum.group === 'Pareto front'"}],
				mark: {type: 'line', interpolate: 'step-after', color: '#e45756', strokeWidth: 1.5},
				encoding: {x, y, order: {field: 'seconds'}},
			},
			{
				mark: {type: 'point', filled: true, size: 70, opacity: 0.9},
				encoding: {
					x,
					y,
					color: {field: 'group', type: 'nominal', title: null, scale: {domain: groups.map(([group]) => group), range: groups.map(([, colour]) => colour)}},
					shape: {field: 'group', type: 'nominal', title: null, scale: {domain: groups.map(([group]) => group), range: groups.map(([, , shape]) => shape)}},
					tooltip: [{field: 'rank'}, {field: 'config'}, {field: 'trueAccuracy', title, format: '.4~f'}, {field: 'seconds', title: 'train s', format: '.1f'}],
				},
			},
			// Front points sit close together: their labels alternate below-right and above-left along the front.
			...[0, 1].map(side => ({
				transform: [{filter: `datum.group === 'Pareto front' && datum.side === ${side}`}],
				mark: {type: 'text', align: side === 0 ? 'left' : 'right', baseline: side === 0 ? 'top' : 'bottom', dx: side === 0 ? 5 : -5, dy: side === 0 ? 3 : -3, fontSize: 10, color: '#b03a3a'},
				encoding: {x, y, text: {field: 'rank'}},
			})),
			{
				transform: [{filter: 'datum.knee'}],
				mark: {type: 'text', align: 'center', baseline: 'bottom', dy: -14, fontSize: 10, fontWeight: 'bold', text: 'knee'},
				encoding: {x, y},
			},
		],
		config: {axis: font, legend: {...font, orient: 'bottom', labelLimit: 0}},
	} as TopLevelSpec;
}

/** `keep` first, then an even sample (by position) of the others, `max` in all, in the original order. */
function sample<T>(items: readonly T[], max: number, keep: (item: T) => boolean): T[] {
	if (items.length <= max) {
		return [...items];
	}

	const kept = new Set(items.filter(keep).slice(0, max));
	const rest = items.filter(item => !kept.has(item));
	const room = max - kept.size;
	for (let i = 0; i < room; i++) {
		kept.add(rest[Math.floor((i * rest.length) / room)]);
	}

	return items.filter(item => kept.has(item));
}

// --- Validation accuracy per epoch -----------------------------------------------------------------------

/** One line of the per-epoch chart: a config's mean over repeats (reports) or one trial (the dashboard). */
export interface CurveSeries {
	/** Distinct per line. */
	id: string;
	config: string;
	/** Drawn in colour (a top config, or a running trial on the dashboard) or grey. */
	colour: boolean;
	state?: TrialState;
	points: Array<{epoch: number; accuracy: number}>;
}

export interface CurvesOptions {
	/** Config labels in colour, in the legend's order (the parameter's order). */
	coloured: readonly string[];
	/** Their colours show an order (one numeric parameter). */
	ordered: boolean;
	title: string;
	subtitle?: string[];
	/** Name of the data set, so the dashboard can insert epochs as they arrive. */
	dataName?: string;
	/** Fixed value axis (scaled); fitted to the lines above chance level otherwise. */
	domain?: [number, number];
	/** How the metric is shown: its scale (100 for an accuracy in percent) and axis title. */
	axis: {factor: number; title: string};
	/** Points at or below this value (unscaled) learned nothing and do not set the axis; undefined: every point does. */
	chance?: number;
}

/** Flat rows of the per-epoch chart, as `curvesSpec` draws them (and as the dashboard inserts new epochs). */
export function curveRows(series: readonly CurveSeries[], factor: number): Array<Record<string, unknown>> {
	return series.flatMap(line =>
		line.points.filter(point => Number.isFinite(point.accuracy)).map(point => ({
			id: line.id,
			config: line.config,
			colour: line.colour,
			state: line.state ?? 'completed',
			epoch: point.epoch,
			accuracy: round(point.accuracy * factor),
		})),
	);
}

/** The per-epoch validation accuracy chart: grey context lines under the coloured ones. */
export function curvesSpec(series: readonly CurveSeries[], options: CurvesOptions): TopLevelSpec {
	const {factor, title} = options.axis;
	const rows = curveRows(series, factor);
	// Points above chance level set the axis: a config that learned nothing would squeeze every other line flat.
	const informative = series.flatMap(line => line.points.filter(point => Number.isFinite(point.accuracy) && (options.chance === undefined || point.accuracy > options.chance)).map(point => point.accuracy * factor));
	const domain = options.domain ?? fittedDomain(informative, factor / 100);
	const x = {field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: {tickMinStep: 1, format: 'd'}, scale: {nice: false}};
	// Without a point above chance yet (a sweep that has just started), the axis follows the data as it arrives.
	const y = {field: 'accuracy', type: 'quantitative' as const, title, scale: domain ? {domain: factor === 100 ? [Math.max(0, domain[0]), Math.min(100, domain[1])] : domain, nice: false} : {zero: false}};
	const detail = {field: 'id', type: 'nominal' as const};
	const colour = colourScale(options.coloured, options.ordered);
	return {
		$schema: SCHEMA,
		title: {text: options.title, subtitle: options.subtitle, ...TITLE},
		width: 520,
		height: 320,
		data: {name: options.dataName ?? 'curves', values: rows},
		layer: [
			{
				transform: [{filter: '!datum.colour'}],
				mark: {type: 'line', color: GREY, strokeWidth: 1, clip: true},
				encoding: {x, y, detail, tooltip: [{field: 'config'}, {field: 'state'}]},
			},
			{
				transform: [{filter: 'datum.colour'}],
				mark: {type: 'line', point: {size: 16}, clip: true, strokeWidth: 1.8},
				encoding: {
					x,
					y,
					detail,
					color: {field: 'config', title: 'config', ...colour, legend: {labelLimit: 0, symbolType: 'stroke'}},
					strokeDash: {condition: {test: "datum.state === 'running'", value: [4, 2]}, value: [1, 0]},
					tooltip: [{field: 'config'}, {field: 'state'}, {field: 'epoch'}, {field: 'accuracy', title, format: '.4~f'}],
				},
			},
		],
		// A long legend goes under the chart, in two columns when its labels are short enough to sit side by side.
		config: {axis: font, legend: {...font, orient: options.coloured.length > 6 ? 'bottom' : 'right', columns: options.coloured.length > 6 && Math.max(...options.coloured.map(label => label.length)) <= 40 ? 2 : 1}},
	} as TopLevelSpec;
}

/** Completed trials' steps (every trial's with `all`), grouped by trial, in step order. */
function historiesOf(trials: readonly TrialRecord[], steps: readonly StoredStep[], all = false): Array<{trial: TrialRecord; history: StoredStep[]}> {
	const byTrial = stepsByTrial(steps);
	return trials.filter(trial => all || trial.state === 'completed').map(trial => ({trial, history: byTrial.get(trial.id) ?? []}));
}

/** The best `count` ranked configs, then put in the parameter's order. */
function topConfigs(rows: readonly RankedRow[], count: number): RankedRow[] {
	const top = rows.filter(row => row.rank !== null).slice(0, count);
	const order = parameterOrder(top.map(row => row.config), varyingKeys(rows.map(row => row.config)));
	return top.sort((a, b) => order(a.config, b.config));
}

/**
 * The sweep's metric per step (epoch) of every config (mean over repeats): the top configs in colour, in the
 * parameter's order and with ordered colours for a numeric parameter, the rest in grey.
 */
export function validationCurvesSpec(trials: readonly TrialRecord[], steps: readonly StoredStep[], rows: readonly RankedRow[], label: Label, metric: MetricSpec): TopLevelSpec {
	const axis = axisOf(metric);
	const chanceLevel = chanceOf(metric);
	const top = topConfigs(rows, TOP_IN_COLOUR);
	const coloured = top.map(row => label(row.config));
	const byConfig = new Map<string, Map<number, number[]>>();
	for (const {trial, history} of historiesOf(trials, steps)) {
		const config = label(trial.config);
		const perEpoch = byConfig.get(config) ?? new Map<number, number[]>();
		byConfig.set(config, perEpoch);
		for (const step of history) {
			const value = step.metrics[metric.name];
			if (value !== undefined && Number.isFinite(value)) {
				perEpoch.set(step.step, [...(perEpoch.get(step.step) ?? []), value]);
			}
		}
	}

	const series: CurveSeries[] = [...byConfig].map(([config, perEpoch]) => ({
		id: config,
		config,
		colour: coloured.includes(config),
		points: [...perEpoch].sort(([a], [b]) => a - b).map(([epoch, values]) => ({epoch, accuracy: values.reduce((sum, value) => sum + value, 0) / values.length})),
	}));
	const chance = chanceLevel === undefined ? 0 : series.filter(line => line.points.length > 0 && line.points.every(point => point.accuracy <= chanceLevel)).length;
	const grey = series.length - coloured.length;
	return curvesSpec(series, {
		coloured,
		ordered: orderedParameter(top.map(row => row.config)),
		axis,
		chance: chanceLevel,
		title: `${capitalised(axis.title)} per epoch (mean over repeats)`,
		subtitle: [
			grey > 0 ? `The top ${coloured.length} configs in colour, the other ${grey} in grey.` : undefined,
			chance > 0 ? `${chance} config${chance === 1 ? '' : 's'} at chance level (≤ ${CHANCE_LEVEL * 100}%) below the axis.` : undefined,
		].filter((line): line is string => line !== undefined),
	});
}

// --- Learning curves -------------------------------------------------------------------------------------

export interface LearningCurvesOptions {
	/** Include running and unfinished trials (the dashboard's view of one trial). Default: completed only. */
	allStates?: boolean;
	/** Panels to draw (default TOP_PANELS). */
	panels?: number;
}

/**
 * Learning curves: train and validation accuracy (top) and loss (bottom) per epoch for the top few configs,
 * one panel each in the parameter's order, each line the mean over the config's repeats; the dashed rule marks
 * the mean convergence epoch. Accuracy is in percent on an axis fitted to the panels' values.
 */
export function learningCurvesSpec(
	trials: readonly TrialRecord[],
	steps: readonly StoredStep[],
	rows: readonly RankedRow[],
	label: Label,
	options: LearningCurvesOptions = {},
): TopLevelSpec {
	const top = options.allStates ? [...rows] : topConfigs(rows, options.panels ?? TOP_PANELS);
	const order = [...new Set(top.map(row => label(row.config)))];
	const shown = new Set(order);
	const values: Array<Record<string, unknown>> = [];
	for (const {trial, history} of historiesOf(trials, steps, options.allStates)) {
		const config = label(trial.config);
		if (!shown.has(config)) {
			continue;
		}

		for (const step of history) {
			for (const [metric, split, name, factor] of [
				['accuracy', 'train', 'accuracy', 100],
				['accuracy', 'validation', 'val_accuracy', 100],
				['loss', 'train', 'loss', 1],
				['loss', 'validation', 'val_loss', 1],
			] as const) {
				const value = step.metrics[name];
				if (value !== undefined && Number.isFinite(value)) {
					values.push({kind: 'curve', config, metric, split, epoch: step.step, value: value * factor});
				}
			}
		}

		const converged = convergedEpoch(lossHistory(history));
		if (converged !== undefined) {
			values.push({kind: 'converged', config, metric: 'accuracy', epoch: converged}, {kind: 'converged', config, metric: 'loss', epoch: converged});
		}
	}

	const domainOf = (metric: string, minPad: number) => fittedDomain(values.filter(value => value.kind === 'curve' && value.metric === metric).map(value => value.value as number), minPad);
	const columns = Math.min(FACET_COLUMNS, Math.max(1, order.length));
	const panel = (metric: 'accuracy' | 'loss', title: string, domain: [number, number] | undefined) => ({
		transform: [{filter: `datum.metric === '${metric}'`}],
		// One swept key per header line: a panel is narrower than a config label.
		facet: {field: 'config', type: 'nominal' as const, sort: order, header: {title: null, labelLimit: 0, labelFontSize: 10, labelExpr: "split(datum.label, ' ')"}},
		columns,
		spec: {
			width: 200,
			height: 120,
			layer: [
				{
					transform: [{filter: "datum.kind === 'curve'"}],
					mark: {type: 'line' as const, point: {size: 14}, clip: true},
					encoding: {
						x: {field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: {tickMinStep: 1, format: 'd'}, scale: {nice: false}},
						y: {aggregate: 'mean' as const, field: 'value', type: 'quantitative' as const, title, scale: domain ? {domain: metric === 'accuracy' ? [Math.max(0, domain[0]), Math.min(100, domain[1])] : [Math.max(0, domain[0]), domain[1]], nice: false} : {zero: false}},
						color: {field: 'split', type: 'nominal' as const, title: null, scale: {domain: ['train', 'validation'], range: ['#4c78a8', '#f58518']}},
					},
				},
				{
					transform: [{filter: "datum.kind === 'converged'"}],
					mark: {type: 'rule' as const, strokeDash: [4, 3], color: '#888'},
					encoding: {x: {aggregate: 'mean' as const, field: 'epoch', type: 'quantitative' as const}},
				},
			],
		},
		resolve: {scale: {y: 'shared' as const}},
	});
	const configs = new Set(rows.filter(row => row.rank !== null).map(row => label(row.config))).size;
	return {
		$schema: SCHEMA,
		title: {
			text: 'Learning curves (mean over repeats; dashed: converged at)',
			subtitle: !options.allStates && configs > order.length ? [`The top ${order.length} of ${configs} configs, in the parameter's order.`] : undefined,
			...TITLE,
		},
		data: {values},
		vconcat: [panel('accuracy', 'accuracy (%)', domainOf('accuracy', 0.5)), panel('loss', 'loss', domainOf('loss', 0.01))],
		config: {axis: font, legend: {...font, orient: 'top'}},
	} as TopLevelSpec;
}

// --- Parallel coordinates --------------------------------------------------------------------------------
