/**
 * What every chart shares: metric axes (accuracy in percent), the chance level, the fonts and greys, the order of
 * configs by their parameter values and the colours that show it, rounding of plotted numbers, fitted domains,
 * and rendering a Vega-Lite spec to SVG in Node (the dashboard draws the same specs with vega-embed).
 */
import * as vega from 'vega';
import {compile, type TopLevelSpec} from 'vega-lite';
import type {MetricSpec, TrialParams} from '../types.js';
import {isFraction, metricTitle} from './format.js';

export type Label = (config: TrialParams) => string;

/** Axis scale and title of a metric: accuracy-like metrics in percent. */
export const axisOf = (metric: MetricSpec) =>
	isFraction(metric) ? {factor: 100, title: `${metricTitle(metric)} (%)`} : {factor: 1, title: metricTitle(metric)};
export const capitalised = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * The value at or below which a config has learned nothing: chance level for an accuracy to maximise, none for
 * other metrics (a loss has no such floor to set apart).
 */
export const chanceOf = (metric: MetricSpec): number | undefined => (isFraction(metric) && metric.goal === 'maximize' ? CHANCE_LEVEL : undefined);

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const font = {labelFontSize: 11, titleFontSize: 12};
/** Both datasets have ten classes: a config at or below this accuracy has learned (next to) nothing. */
export const CHANCE_LEVEL = 0.15;
/** Configs drawn in colour; the rest are grey context. */
export const TOP_IN_COLOUR = 10;
/** Panels of the learning-curves small multiples. */
export const TOP_PANELS = 6;
export const FACET_COLUMNS = 3;
export const GREY = '#c8c8c8';
export const TITLE = {anchor: 'start' as const, subtitleColor: '#555', subtitleFontSize: 11};

// --- Parameter order -------------------------------------------------------------------------------------

/** The config keys whose values differ between these configs, sorted: what tells them apart. */
export function varyingKeys(configs: readonly TrialParams[]): string[] {
	if (configs.length === 0) {
		return [];
	}

	const keys = Object.keys(configs[0]).sort();
	return keys.filter(key => {
		const first = JSON.stringify(configs[0][key]);
		return configs.some(config => JSON.stringify(config[key]) !== first);
	});
}

/** Numbers by value, arrays (layer widths) by length then element by element, the rest as text. */
export function compareValues(a: unknown, b: unknown): number {
	if (typeof a === 'number' && typeof b === 'number') {
		return a - b;
	}

	if (Array.isArray(a) && Array.isArray(b)) {
		if (a.length !== b.length) {
			return a.length - b.length;
		}

		for (const [index, value] of a.entries()) {
			const order = compareValues(value, b[index]);
			if (order !== 0) {
				return order;
			}
		}

		return 0;
	}

	return String(a).localeCompare(String(b));
}

/** Configs in the order of their parameter values (first varying key first), as a reader scans a sweep. */
export function parameterOrder(configs: readonly TrialParams[], keys = varyingKeys(configs)): (a: TrialParams, b: TrialParams) => number {
	return (a, b) => {
		for (const key of keys) {
			const order = compareValues(a[key], b[key]);
			if (order !== 0) {
				return order;
			}
		}

		return 0;
	};
}

/** One numeric parameter varies: its configs have an order, and their colours should show it. */
export function orderedParameter(configs: readonly TrialParams[]): boolean {
	const keys = varyingKeys(configs);
	return keys.length === 1 && configs.every(config => typeof config[keys[0]] === 'number');
}

/**
 * Colour of the configs in colour: an ordered (sequential) scale for an ordered parameter, else categories. The
 * domain is the data's, in `labels`' order, so the dashboard can add a config that starts running later.
 */
export function colourScale(labels: readonly string[], ordered: boolean) {
	return ordered
		? {type: 'ordinal' as const, sort: [...labels], scale: {scheme: {name: 'viridis', extent: [0, 0.85]}}}
		: {type: 'nominal' as const, sort: [...labels], scale: {scheme: labels.length > 10 ? 'category20' : 'tableau10'}};
}

/** Five significant digits: more than a chart can show, and a third of the bytes of a full double in JSON. */
export function round(value: number): number {
	return Number.isFinite(value) ? Number(value.toPrecision(5)) : value;
}

/** [low, high] around the values with `pad` of their range (at least `minPad`) on each side, or undefined for none. */
export function fittedDomain(values: readonly number[], minPad: number, pad = 0.08): [number, number] | undefined {
	const finite = values.filter(value => Number.isFinite(value));
	if (finite.length === 0) {
		return undefined;
	}

	const [low, high] = [Math.min(...finite), Math.max(...finite)];
	const margin = Math.max((high - low) * pad, minPad);
	return [low - margin, high + margin];
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
