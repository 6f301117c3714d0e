import {availableParallelism} from 'node:os';
import type {Argv} from 'yargs';
import {type BackendChoice, defaultWorkers, resolveBackend} from '../train/backend.js';
import {countParams} from '../train/model.js';
import {sweptKeys} from '../sweep/describe.js';
import {totalEpochs} from '../sweep/expand.js';
import {BACKENDS, type TrialSpec} from '../types.js';
import {globalOptions, type GlobalArgs} from './common.js';
import {loadSweepInput} from './sweep-input.js';
import {planTable} from './tables.js';

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
	paramCounts: number[];
	backend: string;
	workers: number;
}

export function planBuilder(yargs: Argv): Argv<PlanArgs> {
	return globalOptions(yargs)
		.positional('file', {type: 'string', demandOption: true, describe: 'Sweep file (YAML or JSON)'})
		.option('workers', {alias: 'w', type: 'number', describe: 'Workers the run would use'})
		.option('backend', {choices: ['auto', ...BACKENDS] as const, default: 'auto' as BackendChoice})
		.option('json', {type: 'boolean', default: false, describe: 'Print the plan as JSON'}) as unknown as Argv<PlanArgs>;
}

/** `sweeplab plan <file>`: the trials a run would train, without training or touching the database. */
export async function planCommand(args: PlanArgs): Promise<Plan> {
	const {definition, specs, duplicatesSkipped, shape} = await loadSweepInput(args.file);
	const backend = resolveBackend(args.backend);
	const workers = Math.max(1, Math.min(args.workers ?? defaultWorkers(backend, availableParallelism()), specs.length));
	return {
		name: definition.name,
		method: definition.method,
		trials: specs,
		duplicatesSkipped,
		totalEpochs: totalEpochs(specs),
		paramCounts: specs.map(spec => countParams(spec.config, shape)),
		backend,
		workers,
	};
}

export function renderPlan(plan: Plan, keys: ReturnType<typeof sweptKeys>): string {
	const counts = new Map(plan.trials.map((spec, i) => [spec.config, plan.paramCounts[i]]));
	const lines = [
		planTable(plan.trials, keys, config => counts.get(config) ?? 0),
		`${plan.trials.length} trials (${plan.method}${plan.duplicatesSkipped > 0 ? `, ${plan.duplicatesSkipped} duplicate samples skipped` : ''}), ${plan.totalEpochs} epochs in all; the pool would use ${plan.workers} worker${plan.workers === 1 ? '' : 's'} on the ${plan.backend} backend.`,
	];
	return lines.join('\n');
}
