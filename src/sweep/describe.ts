import type {ParameterSpec, ProgramDefinition, SweepDefinition, TrialParams} from '../types.js';
import {isActive} from './conditions.js';

/** The config keys that distinguish trials of a sweep: its parameters, in sorted order. */
export function sweptKeys(definition: SweepDefinition): string[] {
	return Object.keys(definition.parameters).sort();
}

/**
 * `learningRate=0.001 hidden=[64,64]`: the swept values of a config, or `base` for a single-config sweep. With the
 * sweep's parameters, a conditional one that does not apply to the config is left out (a built-in config still holds
 * its base value, which was not swept there).
 */
export function describeConfig(config: TrialParams, keys: readonly string[], parameters?: Readonly<Record<string, ParameterSpec>>): string {
	if (keys.length === 0) {
		return 'base';
	}

	return keys.filter(key => !parameters || !(key in parameters) || isActive(parameters, key, config)).map(key => `${key}=${formatValue(config[key])}`).join(' ');
}

/** `python3 train.py ${args}` or `module ./objective.js`: what a program sweep runs, in one line. */
export function describeProgram(program: ProgramDefinition | undefined): string {
	if (!program) {
		return 'built-in trainer';
	}

	return 'module' in program ? `module ${program.module}` : program.command.join(' ');
}

/**
 * A trial's parameters as command-line arguments, what `"${args}"` expands to: one `--name=value` per parameter in
 * sorted order; strings as they are, lists and mappings as JSON.
 */
export function programArgs(params: TrialParams): string[] {
	return Object.keys(params).sort().map(name => {
		const value = params[name];
		return `--${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
	});
}

/**
 * Steps a trial is expected to report, for progress and time estimates: its `epochs` (built-in trials have one;
 * a program sweep whose parameters name one means the same), else 1.
 */
export function expectedSteps(config: TrialParams): number {
	return typeof config.epochs === 'number' && config.epochs >= 1 ? config.epochs : 1;
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
