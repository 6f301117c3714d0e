import type {Argv} from 'yargs';
import {UsageError} from '../errors.js';
import {type TellAnswer, tellOutcome, tellStep} from '../run/ask-tell.js';
import {globalOptions, type GlobalArgs, openStore, showDb} from './common.js';
import {findSweep} from './ask.js';

export const TELL_STATES = ['completed', 'failed', 'pruned'] as const;

export interface TellArgs extends GlobalArgs {
	sweep: string;
	trial: number;
	step?: number;
	metrics?: string;
	seconds?: number;
	state?: (typeof TELL_STATES)[number];
	error?: string;
	json: boolean;
}

export function tellBuilder(yargs: Argv): Argv<TellArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Sweep name (as ask printed it)'})
		.positional('trial', {type: 'number', demandOption: true, describe: 'Trial id (as ask printed it)'})
		.option('step', {type: 'number', describe: 'Record this step (epoch) number, 1, 2, ... with --metrics'})
		.option('metrics', {type: 'string', describe: 'JSON object of numeric metrics, e.g. \'{"val_accuracy": 0.87, "loss": 0.41}\' (with --state: final metrics)'})
		.option('seconds', {type: 'number', describe: 'Wall seconds of the step (default: since the trial was asked or last told)'})
		.option('state', {choices: TELL_STATES, describe: 'How the trial ended'})
		.option('error', {type: 'string', describe: 'With --state failed: what went wrong, one line'})
		.option('json', {type: 'boolean', default: false, describe: 'Print the answer as JSON'}) as unknown as Argv<TellArgs>;
}

export type TellResult = {step?: TellAnswer; state?: string};

/**
 * `sweeplab tell <sweep> <trial>`: record a step of an asked trial and answer whether to stop, and/or how it ended.
 * @throws UsageError for --metrics that are not a JSON object of numbers, a step without metrics, or neither a step nor a state.
 */
export async function tellCommand(args: TellArgs): Promise<TellResult> {
	if (args.step === undefined && args.state === undefined) {
		throw new UsageError('tell needs --step N --metrics \'{...}\' (a step), --state completed|failed|pruned (the end), or both');
	}

	if (args.step !== undefined && args.metrics === undefined) {
		throw new UsageError(`--step ${args.step}: give its metrics with --metrics '{"val_accuracy": 0.87}'`);
	}

	const metrics = args.metrics === undefined ? undefined : parseMetrics(args.metrics);
	const store = openStore(args.db);
	try {
		const sweep = await findSweep(store, args.sweep, showDb(args.db));
		const result: TellResult = {};
		if (args.step !== undefined) {
			result.step = await tellStep(store, sweep, args.trial, {step: args.step, metrics: metrics!, ...(args.seconds !== undefined && {seconds: args.seconds})});
			if (result.step.state !== 'running') {
				return result;
			}
		}

		if (args.state !== undefined) {
			await tellOutcome(store, sweep, args.trial, {
				state: args.state,
				...(args.step === undefined && metrics && {metrics}),
				...(args.error !== undefined && {error: args.error}),
			});
			result.state = args.state;
		}

		return result;
	} finally {
		await store.close();
	}
}

/** `{"val_accuracy": 0.87}`; NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has none). */
export function parseMetrics(text: string): Record<string, number> {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new UsageError(`--metrics ${text}: not JSON (${(error as Error).message}); give an object such as '{"val_accuracy": 0.87}'`);
	}

	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new UsageError(`--metrics ${text}: expected a JSON object of numbers such as '{"val_accuracy": 0.87}'`);
	}

	const metrics: Record<string, number> = {};
	for (const [name, value] of Object.entries(parsed)) {
		const number = typeof value === 'number' ? value : ['NaN', 'Infinity', '-Infinity'].includes(value as string) ? Number(value) : undefined;
		if (number === undefined) {
			throw new UsageError(`--metrics: "${name}" is ${JSON.stringify(value)}, expected a number (or "NaN", "Infinity", "-Infinity")`);
		}

		metrics[name] = number;
	}

	return metrics;
}

/** `continue`, `pruned: <reason>` or `diverged: <reason>` for a step; the state told for an end. */
export function renderTell(result: TellResult, json: boolean): string {
	if (json) {
		return JSON.stringify({...(result.step && {stop: result.step.state !== 'running', ...result.step}), ...(result.state && {state: result.state})});
	}

	if (result.step && result.step.state !== 'running') {
		return `${result.step.state}: ${result.step.reason}`;
	}

	return result.state ?? 'continue';
}
