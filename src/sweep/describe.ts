import type {SweepDefinition, TrialConfig} from '../types.js';

/** The config keys that distinguish trials of a sweep: its parameters, in sorted order. */
export function sweptKeys(definition: SweepDefinition): Array<keyof TrialConfig> {
	return Object.keys(definition.parameters).sort() as Array<keyof TrialConfig>;
}

/** `learningRate=0.001 hidden=[64,64]`: the swept values of a config, or `base` for a single-config sweep. */
export function describeConfig(config: TrialConfig, keys: Array<keyof TrialConfig>): string {
	if (keys.length === 0) {
		return 'base';
	}

	return keys.map(key => `${key}=${formatValue(config[key])}`).join(' ');
}

export function formatValue(value: unknown): string {
	if (Array.isArray(value)) {
		return `[${value.map(item => formatValue(item)).join(',')}]`;
	}

	if (typeof value === 'number' && !Number.isInteger(value)) {
		// Sampled values carry 16 digits; 4 significant ones tell configs apart in a table.
		const short = Number(value.toPrecision(4));
		return Math.abs(short) < 0.001 ? short.toExponential() : String(short);
	}

	if (typeof value === 'object' && value !== null) {
		// A schedule, augmentation or early-stopping setting: its members in key order, as a table cell.
		return `{${Object.entries(value).map(([key, item]) => `${key}:${formatValue(item)}`).join(',')}}`;
	}

	return String(value);
}
