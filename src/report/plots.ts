/**
 * The report's charts as Vega-Lite specs (pure data in, spec out) and their rendering to SVG in Node.
 * Non-finite metrics (diverged epochs) are left out of every chart: a single NaN would blank a scale.
 */
import * as vega from 'vega';
import {compile, type TopLevelSpec} from 'vega-lite';
import type {StoredStep, TrialRecord} from '../store/store.js';
import type {MetricSpec, TrialParams} from '../types.js';
import {convergedEpoch} from './convergence.js';
import {isFraction, metricTitle} from './format.js';
import {lossHistory, stepsByTrial} from './leaderboard.js';
import type {RankedRow} from './ranking.js';

export type Label = (config: TrialParams) => string;

/** Axis scale and title of a metric: accuracy-like metrics in percent. */
const axisOf = (metric: MetricSpec) =>
	isFraction(metric) ? {factor: 100, title: `${metricTitle(metric)} (%)`} : {factor: 1, title: metricTitle(metric)};

/** Configs beyond this many get small multiples in rows of this many. */
const FACET_COLUMNS = 4;
const font = {labelFontSize: 11, titleFontSize: 12};

/** Completed trials' steps, grouped by trial, in step order. */
function historiesOf(trials: readonly TrialRecord[], steps: readonly StoredStep[]): Array<{trial: TrialRecord; history: StoredStep[]}> {
	const byTrial = stepsByTrial(steps);
	return trials.filter(trial => trial.state === 'completed').map(trial => ({trial, history: byTrial.get(trial.id) ?? []}));
}

/** Configs in leaderboard order, so facets and legends list the best first. */
function configOrder(rows: readonly RankedRow[], label: Label): string[] {
	return [...new Set(rows.map(row => label(row.config)))];
}

/**
 * Learning curves: train and validation accuracy (top) and loss (bottom) per epoch, one panel per config,
 * each line the mean over the config's repeats; the dashed rule marks the mean convergence epoch.
 */
export function learningCurvesSpec(trials: readonly TrialRecord[], steps: readonly StoredStep[], rows: readonly RankedRow[], label: Label): TopLevelSpec {
	const values: Array<Record<string, unknown>> = [];
	for (const {trial, history} of historiesOf(trials, steps)) {
		const config = label(trial.config);
		for (const step of history) {
			for (const [metric, split, name] of [
				['accuracy', 'train', 'accuracy'],
				['accuracy', 'validation', 'val_accuracy'],
				['loss', 'train', 'loss'],
				['loss', 'validation', 'val_loss'],
			] as const) {
				const value = step.metrics[name];
				if (value !== undefined && Number.isFinite(value)) {
					values.push({kind: 'curve', config, metric, split, epoch: step.step, value});
				}
			}
		}

		const converged = convergedEpoch(lossHistory(history));
		if (converged !== undefined) {
			values.push({kind: 'converged', config, metric: 'accuracy', epoch: converged}, {kind: 'converged', config, metric: 'loss', epoch: converged});
		}
	}

	const order = configOrder(rows, label);
	const columns = Math.min(FACET_COLUMNS, Math.max(1, order.length));
	const panel = (metric: 'accuracy' | 'loss') => ({
		transform: [{filter: `datum.metric === '${metric}'`}],
		// One swept key per header line: a panel is narrower than a config label.
		facet: {field: 'config', type: 'nominal' as const, sort: order, header: {title: null, labelLimit: 0, labelFontSize: 10, labelExpr: "split(datum.label, ' ')"}},
		columns,
		spec: {
			width: 200,
			height: 130,
			layer: [
				{
					transform: [{filter: "datum.kind === 'curve'"}],
					mark: {type: 'line' as const, point: {size: 18}},
					encoding: {
						x: {field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: {tickMinStep: 1, format: 'd'}},
						y: {aggregate: 'mean' as const, field: 'value', type: 'quantitative' as const, title: metric, scale: {zero: false}},
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
	return {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		title: {text: 'Learning curves (mean over repeats; dashed: converged at)', anchor: 'start'},
		data: {values},
		vconcat: [panel('accuracy'), panel('loss')],
		config: {axis: font, legend: {...font, orient: 'top'}},
	} as TopLevelSpec;
}

/**
 * The sweep's metric (mean best value) against mean training seconds, one point per config with ±1 std error
 * bars over repeats; the Pareto front is the step line through the filled points (the best value reachable
 * within each time budget).
 */
export function tradeoffSpec(rows: readonly RankedRow[], label: Label, metric: MetricSpec): TopLevelSpec {
	const {factor, title} = axisOf(metric);
	const values = rows
		.filter(row => Number.isFinite(row.value.mean) && Number.isFinite(row.trainSeconds.mean))
		.map(row => ({
			config: label(row.config),
			accuracy: row.value.mean * factor,
			accuracyLow: (row.value.mean - row.value.std) * factor,
			accuracyHigh: (row.value.mean + row.value.std) * factor,
			seconds: row.trainSeconds.mean,
			secondsLow: row.trainSeconds.mean - row.trainSeconds.std,
			secondsHigh: row.trainSeconds.mean + row.trainSeconds.std,
			front: row.pareto ? 'Pareto front' : 'dominated',
		}));
	const x = {field: 'seconds', type: 'quantitative' as const, title: 'training time (s, mean over repeats)', scale: {zero: true}};
	const y = {field: 'accuracy', type: 'quantitative' as const, title, scale: {zero: false}};
	return {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		title: {text: `${title.charAt(0).toUpperCase()}${title.slice(1)} against training time (±1 std over repeats)`, anchor: 'start'},
		width: 520,
		height: 340,
		data: {values},
		layer: [
			{mark: {type: 'rule', color: '#999'}, encoding: {x, y: {field: 'accuracyLow', type: 'quantitative'}, y2: {field: 'accuracyHigh'}}},
			{mark: {type: 'rule', color: '#999'}, encoding: {y, x: {field: 'secondsLow', type: 'quantitative'}, x2: {field: 'secondsHigh'}}},
			{
				transform: [{filter: "datum.front === 'Pareto front'"}],
				mark: {type: 'line', interpolate: 'step-after', color: '#e45756', strokeWidth: 1.5},
				encoding: {x, y, order: {field: 'seconds'}},
			},
			{
				mark: {type: 'point', filled: true, size: 70},
				encoding: {
					x,
					y,
					color: {field: 'front', type: 'nominal', title: null, scale: {domain: ['Pareto front', 'dominated'], range: ['#e45756', '#4c78a8']}},
					tooltip: [{field: 'config'}, {field: 'accuracy', format: '.2f'}, {field: 'seconds', format: '.1f'}],
				},
			},
			{
				transform: [{filter: "datum.front === 'Pareto front'"}],
				mark: {type: 'text', align: 'left', baseline: 'bottom', dx: 6, dy: -4, fontSize: 10, lineBreak: ' '},
				encoding: {x, y, text: {field: 'config'}},
			},
		],
		config: {axis: font, legend: {...font, orient: 'bottom'}},
	} as TopLevelSpec;
}

/** The sweep's metric per step (epoch) of every config in one chart (mean over repeats), to compare how fast they converge. */
export function validationCurvesSpec(trials: readonly TrialRecord[], steps: readonly StoredStep[], rows: readonly RankedRow[], label: Label, metric: MetricSpec): TopLevelSpec {
	const {factor, title} = axisOf(metric);
	const values = historiesOf(trials, steps).flatMap(({trial, history}) =>
		history.filter(step => Number.isFinite(step.metrics[metric.name])).map(step => ({config: label(trial.config), epoch: step.step, accuracy: step.metrics[metric.name] * factor})),
	);
	const order = configOrder(rows, label);
	return {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		title: {text: `${title.charAt(0).toUpperCase()}${title.slice(1)} per epoch (mean over repeats)`, anchor: 'start'},
		width: 520,
		height: 320,
		data: {values},
		mark: {type: 'line', point: {size: 18}},
		encoding: {
			x: {field: 'epoch', type: 'quantitative', title: 'epoch', axis: {tickMinStep: 1, format: 'd'}},
			y: {aggregate: 'mean', field: 'accuracy', type: 'quantitative', title, scale: {zero: false}},
			color: {field: 'config', type: 'nominal', sort: order, title: 'config', scale: {scheme: order.length > 10 ? 'category20' : 'tableau10'}},
		},
		config: {axis: font, legend: {...font, labelLimit: 0, orient: order.length > 8 ? 'bottom' : 'right', columns: order.length > 8 ? 2 : undefined}},
	} as TopLevelSpec;
}

/** Render a Vega-Lite spec to a standalone SVG document (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
	// Only errors: Vega-Lite's optimiser warns on stderr about internal passes that change nothing in the chart.
	const logger = vega.logger(vega.Error);
	const view = new vega.View(vega.parse(compile(spec, {logger}).spec), {renderer: 'none', logLevel: vega.Error});
	try {
		return await view.toSVG();
	} finally {
		view.finalize();
	}
}
