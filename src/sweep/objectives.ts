/**
 * A sweep file's `objectives:` (multi-objective sweeps): the checks on the list and on what goes with it (method,
 * pruner), as problems for schema.ts to report with the file's others. Each message is one line naming the value
 * and what would be right.
 */
import {COST_OBJECTIVES, isCostObjective, type MetricSpec} from '../types.js';
import type {Problem} from './config-schema.js';
import {suggestionHint} from './did-you-mean.js';

export const MIN_OBJECTIVES = 2;
export const MAX_OBJECTIVES = 3;

/** What the checks read of a parsed sweep file. */
export interface ObjectivesFile {
	method: string;
	objectives?: MetricSpec[];
	objective?: unknown;
	metric?: unknown;
	pruner?: {kind: string; scalarize?: {weights: number[]}};
}

/**
 * Problems of `objectives` and of the keys that depend on it. `reported`: the metrics the trials report (the
 * built-in trainer's), or undefined for a program sweep, whose metrics may have any name.
 */
export function objectivesProblems(file: ObjectivesFile, reported: readonly string[] | undefined): Problem[] {
	const problems: Problem[] = [];
	const {objectives} = file;
	if (objectives === undefined) {
		if (file.method === 'nsga2') {
			problems.push({path: ['method'], message: 'nsga2 searches several objectives and this sweep has one metric (add objectives: [{name: val_accuracy, goal: maximize}, {name: train_seconds, goal: minimize}], or use method: tpe)'});
		}

		if (file.pruner?.scalarize !== undefined) {
			problems.push({path: ['pruner', 'scalarize'], message: 'scalarize weighs several objectives and this sweep has one metric (remove scalarize, or give objectives:)'});
		}

		return problems;
	}

	for (const key of ['objective', 'metric'] as const) {
		if (file[key] !== undefined) {
			problems.push({path: [key], message: `give either ${key} or objectives, not both (list the ${key === 'metric' ? 'metric' : 'objective'} among objectives instead)`});
		}
	}

	if (objectives.length < MIN_OBJECTIVES || objectives.length > MAX_OBJECTIVES) {
		const hint = objectives.length < MIN_OBJECTIVES ? 'for one, write metric: {name: val_accuracy, goal: maximize} instead' : 'keep the 3 that matter most';
		problems.push({path: ['objectives'], message: `a multi-objective sweep takes ${MIN_OBJECTIVES} or ${MAX_OBJECTIVES} objectives, got ${objectives.length} (${hint})`});
	}

	const allowed = [...(reported ?? []), ...COST_OBJECTIVES];
	const seen = new Map<string, number>();
	for (const [index, {name}] of objectives.entries()) {
		const where = ['objectives', index, 'name'];
		const earlier = seen.get(name);
		if (earlier !== undefined) {
			problems.push({path: where, message: `duplicate objective "${name}" (same as objectives[${earlier}]; name each objective once)`});
			continue;
		}

		seen.set(name, index);
		if (reported !== undefined && !allowed.includes(name)) {
			problems.push({path: where, message: `unknown objective "${name}"${suggestionHint(name, allowed)}`});
		} else if (reported === undefined && name === 'params') {
			problems.push({path: where, message: 'params is the built-in model\'s parameter count, which a program trial does not have (report your own, e.g. a metric n_params, and name that)'});
		}
	}

	if (objectives.length > 0 && objectives.every(objective => isCostObjective(objective.name))) {
		problems.push({path: ['objectives'], message: `at least one objective must be a metric the trials report, e.g. {name: val_accuracy, goal: maximize} (${COST_OBJECTIVES.join(', ')} are costs)`});
	}

	const pruner = file.pruner;
	// Every pruner but pareto judges one number: with several objectives it needs the weights of their sum.
	if (pruner && pruner.kind !== 'pareto' && pruner.scalarize === undefined) {
		const even = objectives.map(() => Number((1 / objectives.length).toFixed(2)));
		problems.push({
			path: ['pruner', 'kind'],
			message: `${pruner.kind} judges one metric and this sweep has ${objectives.length} objectives (use pruner: pareto, or weigh them: {kind: ${pruner.kind}, scalarize: {weights: [${even.join(', ')}]}})`,
		});
	} else if (pruner?.scalarize !== undefined) {
		const {weights} = pruner.scalarize;
		if (pruner.kind === 'pareto') {
			problems.push({path: ['pruner', 'scalarize'], message: `${pruner.kind} judges a trial by every objective itself (remove scalarize)`});
		} else if (weights.length !== objectives.length) {
			problems.push({
				path: ['pruner', 'scalarize', 'weights'],
				message: `expected ${objectives.length} weights, one per objective (${objectives.map(objective => objective.name).join(', ')}), got ${weights.length}`,
			});
		} else if (!weights.some(weight => weight > 0)) {
			problems.push({path: ['pruner', 'scalarize', 'weights'], message: 'every weight is 0 (give at least one objective a positive weight)'});
		}
	}

	return problems;
}
