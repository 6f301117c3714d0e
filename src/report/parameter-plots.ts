/**
 * Charts of the parameters themselves: parallel coordinates over the swept parameters (log axes where they are
 * log-distributed or span decades) and the share of the metric's variance each parameter explains.
 */
import type {TopLevelSpec} from 'vega-lite';
import {isActive} from '../sweep/conditions.js';
import type {MetricSpec, SweepDefinition} from '../types.js';
import {axisOf, CHANCE_LEVEL, chanceOf, compareValues, fittedDomain, font, type Label, round, SCHEMA, TITLE} from './chart-common.js';
import type {ImportanceResult} from './importance.js';
import type {RankedRow} from './ranking.js';

const LOG_KINDS = new Set(['log-uniform', 'log-int-uniform']);

/** Where a config meets the axis of a conditional parameter that did not apply to it: below the axis, at a tick 'n/a'. */
const NOT_APPLICABLE = -0.12;

/** The swept parameters drawn on a log axis: log-distributed ones, and numeric grids spanning over a factor of 20. */
export function logKeys(definition: SweepDefinition): string[] {
	return Object.entries(definition.parameters)
		.filter(([, spec]) => LOG_KINDS.has(spec.kind) || (spec.kind === 'values' && spec.values.every(value => typeof value === 'number' && value > 0) && Math.max(...(spec.values as number[])) / Math.min(...(spec.values as number[])) > 20))
		.map(([key]) => key);
}

/**
 * Parallel coordinates: one vertical axis per swept parameter (log axes for log-distributed ones) and one for
 * validation accuracy, one line per config coloured by its accuracy, the best drawn on top. At most `maxLines`
 * configs (the best by rank). A conditional parameter's axis spans the configs it applied to; the others meet it at 'n/a'
 * below (a built-in trial keeps the base value of a parameter that did not apply, which is not what the sweep chose).
 */
export function parallelCoordinatesSpec(rows: readonly RankedRow[], definition: SweepDefinition, label: Label, metric: MetricSpec, options: {maxLines?: number; rankedTotal?: number} = {}): TopLevelSpec {
	const {factor, title} = axisOf(metric);
	const chance = chanceOf(metric);
	const keys = Object.keys(definition.parameters).sort();
	const ranked = rows.filter(row => Number.isFinite(row.value.mean));
	const shown = ranked.slice(0, options.maxLines ?? 500);
	const logs = new Set(logKeys(definition));
	const axes: Array<{name: string; position: (value: unknown) => number; ticks: Array<{position: number; text: string}>}> = [];
	const applies = (row: RankedRow, key: string) => isActive(definition.parameters, key, row.config);
	for (const key of keys) {
		const values = shown.filter(row => applies(row, key)).map(row => row.config[key]);
		if (values.length === 0) {
			axes.push({name: key, position: () => 0.5, ticks: []});
		} else if (values.every(value => typeof value === 'number')) {
			const numbers = values as number[];
			const log = logs.has(key) && numbers.every(value => value > 0);
			const scale = (value: number) => (log ? Math.log10(value) : value);
			const [low, high] = [Math.min(...numbers.map(scale)), Math.max(...numbers.map(scale))];
			const position = (value: unknown) => (high === low ? 0.5 : (scale(value as number) - low) / (high - low));
			// A grid's values label themselves; sampled values get round ticks (decades on a log axis).
			const distinct = [...new Set(numbers)].sort((a, b) => a - b);
			const grid = definition.parameters[key]?.kind === 'values' && distinct.length <= 12;
			const tickValues = grid ? distinct : log ? decadeTicks(low, high) : evenTicks(distinct[0], distinct.at(-1)!);
			const ticks = tickValues.map(value => ({position: position(value), text: formatTick(value)}));
			axes.push({name: log ? `${key} (log)` : key, position, ticks});
		} else {
			const distinct = [...new Set(values.map(value => JSON.stringify(value)))].sort((a, b) => compareValues(JSON.parse(a), JSON.parse(b)));
			const position = (value: unknown) => (distinct.length === 1 ? 0.5 : distinct.indexOf(JSON.stringify(value)) / (distinct.length - 1));
			const every = Math.ceil(distinct.length / 12);
			axes.push({name: key, position, ticks: distinct.filter((_, index) => index % every === 0).map(text => ({position: position(JSON.parse(text)), text: text.replaceAll('"', '')}))});
		}

		if (values.length < shown.length) {
			axes.at(-1)!.ticks.push({position: NOT_APPLICABLE, text: 'n/a'});
		}
	}

	// As on the other charts, configs at chance level sit on the bottom of the accuracy axis instead of stretching it.
	const accuracies = shown.map(row => row.value.mean * factor);
	const informative = accuracies.filter(value => chance === undefined || value > chance * factor);
	const accuracyDomain = fittedDomain(informative.length > 0 ? informative : accuracies, 0.5, 0) ?? [0, 100];
	const accuracyPosition = (value: unknown) => (accuracyDomain[1] === accuracyDomain[0] ? 0.5 : Math.max(0, ((value as number) - accuracyDomain[0]) / (accuracyDomain[1] - accuracyDomain[0])));
	axes.push({name: title, position: accuracyPosition, ticks: evenTicks(...accuracyDomain).map(value => ({position: accuracyPosition(value), text: formatTick(value)}))});
	const lines = shown.flatMap((row, index) => {
		const config = label(row.config);
		const accuracy = row.value.mean * factor;
		return axes.map((axis, position) => ({
			kind: 'line',
			config,
			rank: ranked.length - index,
			accuracy: round(accuracy),
			axis: axis.name,
			position: round(position === keys.length ? accuracyPosition(accuracy) : applies(row, keys[position]) ? axis.position(row.config[keys[position]]) : NOT_APPLICABLE),
		}));
	});
	const ticks = axes.flatMap(axis => axis.ticks.map(tick => ({kind: 'tick', axis: axis.name, position: tick.position, text: tick.text})));
	const x = {field: 'axis', type: 'nominal' as const, sort: axes.map(axis => axis.name), title: null, axis: {orient: 'top' as const, labelAngle: 0, domain: false, ticks: false, labelFontWeight: 'bold' as const}, scale: {padding: 0.3}};
	// Room above the top tick and below the bottom one, so their labels clear the axis names.
	const y = {field: 'position', type: 'quantitative' as const, axis: null, scale: {domain: [lines.some(line => line.position === NOT_APPLICABLE) ? NOT_APPLICABLE - 0.04 : -0.04, 1.07]}};
	return {
		$schema: SCHEMA,
		title: {
			text: `Parallel coordinates (one line per config, coloured by ${title})`,
			subtitle: [
				shown.length < (options.rankedTotal ?? ranked.length) ? `The best ${shown.length} of ${options.rankedTotal ?? ranked.length} configs.` : undefined,
				informative.length < accuracies.length ? `${accuracies.length - informative.length} at chance level (≤ ${CHANCE_LEVEL * 100}%) end at the bottom of the accuracy axis.` : undefined,
			].filter(line => line !== undefined),
			...TITLE,
		},
		width: Math.max(360, 130 * axes.length),
		height: 300,
		data: {values: [...lines, ...ticks]},
		layer: [
			{transform: [{filter: "datum.kind === 'tick'"}], mark: {type: 'rule', color: '#ddd'}, encoding: {x, y: {datum: 0, type: 'quantitative', scale: y.scale, axis: null}, y2: {datum: 1}}},
			{
				transform: [{filter: "datum.kind === 'line'"}],
				mark: {type: 'line', strokeWidth: 1.5, opacity: 0.8},
				encoding: {
					x,
					y,
					detail: {field: 'config', type: 'nominal'},
					order: {field: 'rank', type: 'quantitative'},
					// Brighter is better, whichever way the metric goes.
					color: {field: 'accuracy', type: 'quantitative', title, scale: {scheme: 'viridis', domain: accuracyDomain, clamp: true, reverse: metric.goal === 'minimize'}},
					tooltip: [{field: 'config'}, {field: 'accuracy', title, format: '.4~f'}],
				},
			},
			{transform: [{filter: "datum.kind === 'tick'"}], mark: {type: 'text', align: 'right', dx: -4, fontSize: 10, color: '#333'}, encoding: {x, y, text: {field: 'text'}}},
		],
		config: {axis: font, legend: font, view: {stroke: null}},
	} as TopLevelSpec;
}

/**
 * Parameter importance (fANOVA, src/report/importance.ts): each swept parameter's share of the variance of
 * validation accuracy, most important on top, with ±1 std over the forest's trees; the subtitle names the pair
 * that interacts most.
 */
export function importanceSpec(result: ImportanceResult): TopLevelSpec {
	const values = result.parameters.map(parameter => ({
		name: parameter.name,
		share: round(parameter.importance * 100),
		low: round(Math.max(0, parameter.importance - parameter.std) * 100),
		high: round(Math.min(1, parameter.importance + parameter.std) * 100),
	}));
	const y = {field: 'name', type: 'nominal' as const, title: null, sort: values.map(value => value.name)};
	const subtitle = [
		`fANOVA over ${result.sampledFrom === undefined ? `${result.trials} configs` : `a random ${result.trials} of ${result.sampledFrom} configs`}; bars: ±1 std over the forest's trees.`,
		result.topInteraction ? `Top interaction: ${result.topInteraction.names.join(' × ')}, ${(result.topInteraction.importance * 100).toFixed(1)}%.` : undefined,
	].filter(line => line !== undefined);
	return {
		$schema: SCHEMA,
		title: {text: "Parameter importance (share of the sweep metric's variance)", subtitle, ...TITLE},
		width: 360,
		height: {step: 22},
		data: {values},
		layer: [
			{mark: {type: 'bar', color: '#4c78a8'}, encoding: {y, x: {field: 'share', type: 'quantitative', title: 'share of variance (%)', scale: {domain: [0, 100]}}, tooltip: [{field: 'name'}, {field: 'share', title: 'share (%)', format: '.1f'}]}},
			{mark: {type: 'rule', color: '#333'}, encoding: {y, x: {field: 'low', type: 'quantitative'}, x2: {field: 'high'}}},
			{mark: {type: 'text', align: 'left', dx: 4, fontSize: 10}, encoding: {y, x: {field: 'high', type: 'quantitative'}, text: {field: 'share', format: '.1f'}}},
		],
		config: {axis: font},
	} as TopLevelSpec;
}

function decadeTicks(low: number, high: number): number[] {
	const ticks = [];
	for (let power = Math.ceil(low - 1e-9); power <= Math.floor(high + 1e-9); power++) {
		ticks.push(10 ** power);
	}

	return ticks.length >= 2 ? ticks : [10 ** low, 10 ** high];
}

function evenTicks(low: number, high: number): number[] {
	return low === high ? [low] : Array.from({length: 5}, (_, index) => low + ((high - low) * index) / 4);
}

function formatTick(value: number): string {
	const short = Number(value.toPrecision(3));
	return short !== 0 && (Math.abs(short) < 0.01 || Math.abs(short) >= 1e5) ? short.toExponential() : String(short);
}
