import type {Argv} from 'yargs';
import {randomStartupTrials, trialsToSuggest} from '../samplers/next.js';
import {type BackendChoice, resolveBackend} from '../train/backend.js';
import {trainingPathFor} from '../train/loop.js';
import {countParams} from '../train/model.js';
import type {TrainingPath} from '../train/trainer.js';
import {expectedSteps, sweptKeys} from '../sweep/describe.js';
import {totalEpochs} from '../sweep/expand.js';
import {BACKENDS, builtinConfig, isSuggestedMethod, type ParameterSpec, type TrialSpec} from '../types.js';
import {globalOptions, type GlobalArgs, numberOption} from './common.js';
import {loadSweepInput} from './sweep-input.js';
import {planTable} from './tables.js';
import {poolSize} from './train-options.js';

export interface PlanArgs extends GlobalArgs {
	file: string;
	workers?: number;
	backend: BackendChoice;
	json: boolean;
}

export interface Plan {
	name: string;
	method: string;
	trials: TrialSpec[];
	/** Sampled configs dropped because an earlier sample was identical (random search over lists). */
	duplicatesSkipped: number;
	totalEpochs: number;
	/** Built-in sweeps: each trial's parameter count. */
	paramCounts?: number[];
	/** Built-in sweeps: the training path each trial would take: simd, lean or layers, as trainingPathFor picks it. */
	trainingPaths?: TrainingPath[];
	backend: string;
	workers: number;
	/** tpe: trials the sampler will suggest during the run (none are known in advance), and how many at random first. */
	suggested?: {trials: number; startupTrials: number};
}

export function planBuilder(yargs: Argv): Argv<PlanArgs> {
	return globalOptions(yargs)
		.positional('file', {type: 'string', demandOption: true, describe: 'Sweep file (YAML or JSON)'})
		.option('workers', numberOption('workers', 'positive integer', {alias: 'w', describe: 'Workers the run would use'}))
		.option('backend', {choices: ['auto', ...BACKENDS] as const, default: 'auto' as BackendChoice})
		.option('json', {type: 'boolean', default: false, describe: 'Print the plan as JSON'}) as unknown as Argv<PlanArgs>;
}

/**
 * `sweeplab plan <file>`: the trials a run would train, without training or touching the database; with the
 * config keys the sweep varies, which the table shows.
 */
export async function planCommand(args: PlanArgs): Promise<{plan: Plan; keys: string[]; parameters: Record<string, ParameterSpec>}> {
	const {definition, specs, duplicatesSkipped, shape} = await loadSweepInput(args.file);
	const backend = resolveBackend(args.backend);
	const suggested = isSuggestedMethod(definition.method) ? {trials: trialsToSuggest(definition), startupTrials: randomStartupTrials(definition)} : undefined;
	const workers = poolSize(args.workers, backend, specs.length + trialsToSuggest(definition));
	const plan: Plan = {
		name: definition.name,
		method: definition.method,
		trials: specs,
		duplicatesSkipped,
		totalEpochs: totalEpochs(specs) + ((suggested?.trials ?? 0) * expectedSteps(definition.base)),
		...(suggested && {suggested}),
		...(shape && {
			paramCounts: specs.map(spec => countParams(builtinConfig(spec.config), shape)),
			trainingPaths: specs.map(spec => trainingPathFor(builtinConfig(spec.config))),
		}),
		backend,
		workers,
	};
	return {plan, keys: sweptKeys(definition), parameters: definition.parameters};
}

export function renderPlan(plan: Plan, keys: string[], parameters?: Readonly<Record<string, ParameterSpec>>): string {
	const pool = `the pool would use ${plan.workers} worker${plan.workers === 1 ? '' : 's'} on the ${plan.backend} backend.`;
	if (plan.suggested) {
		return `${plan.suggested.trials} trials (${plan.method}), suggested one at a time as results come in, the first ${plan.suggested.startupTrials} at random; up to ${plan.totalEpochs} epochs in all; ${pool}`;
	}

	const lines = [
		planTable(plan.trials, keys, plan.paramCounts, plan.trainingPaths, parameters),
		`${plan.trials.length} trials (${plan.method}${plan.duplicatesSkipped > 0 ? `, ${plan.duplicatesSkipped} duplicate samples skipped` : ''}), ${plan.totalEpochs} epochs in all; ${pool}`,
	];
	return lines.join('\n');
}
