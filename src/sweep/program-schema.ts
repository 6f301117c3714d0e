/**
 * The program sweep schema: a sweep that runs the user's own code (a command in any language, or a JavaScript
 * module) instead of the built-in trainer, with free-form parameter names. It shares the keys every sweep file
 * takes (name, method, trials, pruner...) and their checks with the built-in schema in schema.ts.
 */
import {z} from 'zod';
import type {MetricSpec, ParameterSpec, ProgramDefinition, TrialParams} from '../types.js';
import {canonicalJson} from './hash.js';
import {suggestionHint} from './did-you-mean.js';
import {describeValue, formatNumber, compactJson, typeError, isPlainObject, type KeyPath} from './config-schema.js';
import {objectivesProblems} from './objectives.js';
import {ARGS_PLACEHOLDER, CHOICE_KEYS, DISTRIBUTION_KEYS, DISTRIBUTIONS, addProblems, checkCommon, withCondition, WHEN_ALONE, baseWithoutConditions, checkpointSchema, checkStrictKeys, commonDefinition, commonKeys, datasetOf, datasetSchema, metricSchema, parseProblems, type Distribution, type SweepCheck} from './schema.js';

const programSchema = z
	.strictObject(
		{
			command: z.array(z.string({error: typeError('a string (one argument)')}), {error: typeError('a list such as [python3, train.py, "${args}"]')})
				.superRefine((command, ctx) => {
					if (command.length === 0) {
						ctx.addIssue({code: 'custom', message: 'empty command (give the program and its arguments, e.g. [python3, train.py, "${args}"])', input: command});
					}
					for (const [index, argument] of command.entries()) {
						if (argument !== ARGS_PLACEHOLDER && argument.includes(ARGS_PLACEHOLDER)) {
							ctx.addIssue({
								code: 'custom',
								path: [index],
								message: `${JSON.stringify(argument)}: "\${args}" must be a whole element of the list, not part of one (it expands to one argument per parameter, e.g. [python3, train.py, "\${args}"])`,
								input: argument,
							});
						}
					}
				})
				.optional(),
			cwd: z.string({error: typeError('a folder, relative to the sweep file')}).optional(),
			env: z.record(z.string(), z.string({error: typeError('a string (quote numbers: OMP_NUM_THREADS: "1")')}), {error: typeError('a mapping of environment variables such as {OMP_NUM_THREADS: "1"}')}).optional(),
			module: z.string({error: typeError('a JavaScript file such as ./objective.js')}).regex(/\.(m?js)$/, {message: 'expected a JavaScript file ending in .js or .mjs (compile TypeScript first), e.g. ./objective.js'}).optional(),
		},
		{error: typeError('a mapping: {command: [...], cwd, env} or {module: ./objective.js}')},
	)
	.superRefine((program, ctx) => {
		if (program.command === undefined && program.module === undefined) {
			ctx.addIssue({code: 'custom', path: ['command'], message: 'required key is missing (give command: [python3, train.py, "${args}"] or module: ./objective.js)'});
		}
		if (program.command !== undefined && program.module !== undefined) {
			ctx.addIssue({code: 'custom', path: ['module'], message: 'a program is either a command or a module, not both (keep one)'});
		}
		if (program.module !== undefined) {
			for (const key of ['cwd', 'env'] as const) {
				if (program[key] !== undefined) {
					ctx.addIssue({code: 'custom', path: [key], message: `${key} goes with command: a module runs in sweeplab's own threads (remove ${key})`});
				}
			}
		}
	});

/** A program sweep's parameter: a list of any values, {choice: [...]}, or a numeric distribution; names are free-form. */
const programParameterSchema = z.unknown().transform((raw, ctx): ParameterSpec => withCondition(raw, ctx, parseProgramParameter(raw, ctx)));

function parseProgramParameter(raw: unknown, ctx: z.RefinementCtx): ParameterSpec {
	const values = (list: unknown[], where: KeyPath): ParameterSpec => {
		if (list.length === 0) {
			addProblems(ctx, [{path: where, message: 'empty list (give at least one value)'}]);
		}
		const seen = new Map<string, number>();
		for (const [index, item] of list.entries()) {
			const canonical = canonicalJson(item);
			const earlier = seen.get(canonical);
			if (earlier !== undefined) {
				addProblems(ctx, [{path: [...where, index], message: `duplicate value ${compactJson(item)} (same as [${earlier}]; each value must appear once)`}]);
			}
			seen.set(canonical, index);
		}
		return {kind: 'values', values: structuredClone(list)};
	};
	if (Array.isArray(raw)) {
		return values(raw, []);
	}
	if (isPlainObject(raw) && 'choice' in raw && Array.isArray(raw.choice)) {
		addProblems(ctx, checkStrictKeys(raw, CHOICE_KEYS));
		return values(raw.choice, ['choice']);
	}
	if (isPlainObject(raw) && 'distribution' in raw) {
		const problems = checkStrictKeys(raw, DISTRIBUTION_KEYS);
		const kind = raw.distribution;
		if (typeof kind !== 'string' || !(DISTRIBUTIONS as readonly string[]).includes(kind)) {
			addProblems(ctx, [...problems, {path: ['distribution'], message: `expected a distribution (one of ${DISTRIBUTIONS.join(', ')}), got ${describeValue(kind)}${typeof kind === 'string' ? suggestionHint(kind, DISTRIBUTIONS) : ''}`}]);
			return {kind: 'values', values: []};
		}
		const isInt = kind === 'int-uniform' || kind === 'log-int-uniform';
		const isLog = kind === 'log-uniform' || kind === 'log-int-uniform';
		for (const end of ['min', 'max'] as const) {
			const value = raw[end];
			if (typeof value !== 'number' || !Number.isFinite(value)) {
				problems.push({path: [end], message: value === undefined ? `required key is missing (${kind} needs both min and max)` : `expected a number, got ${describeValue(value)}`});
			} else if (isInt && !Number.isInteger(value)) {
				problems.push({path: [end], message: `${kind} needs an integer, got ${formatNumber(value)}`});
			} else if (isLog && value <= 0) {
				problems.push({path: [end], message: `${kind} needs ${end} > 0, got ${formatNumber(value)} (a log scale cannot reach 0; e.g. min: 0.00001)`});
			}
		}
		if (problems.length === 0 && !((raw.min as number) < (raw.max as number))) {
			problems.push({path: ['max'], message: `must be greater than min, got min ${formatNumber(raw.min as number)} and max ${formatNumber(raw.max as number)} (for a fixed value set it in base:)`});
		}
		addProblems(ctx, problems);
		return problems.length === 0 ? {kind: kind as Distribution, min: raw.min as number, max: raw.max as number} : {kind: 'values', values: []};
	}
	if (isPlainObject(raw) && 'when' in raw && !('choice' in raw)) {
		addProblems(ctx, [{path: [], message: WHEN_ALONE}]);
		return {kind: 'values', values: []};
	}
	addProblems(ctx, [{path: [], message: `expected a list of values, {choice: [...]} or {distribution: ..., min, max}, got ${describeValue(raw)} (a fixed value belongs in base:)`}]);
	return {kind: 'values', values: []};
}

const PARAMETER_NAME = /^[A-Za-z_][\w.-]{0,63}$/;

/** A program sweep: the user's code, its metric, and free-form parameter names (passed to the program as they are). */
export const programSweepSchema = z
	.strictObject({
		...commonKeys,
		program: programSchema,
		metric: metricSchema.optional(),
		checkpoint: checkpointSchema.optional(),
		dataset: datasetSchema.optional(),
		base: z.preprocess(baseWithoutConditions, z.record(z.string(), z.unknown(), {error: typeError('a mapping of fixed parameters such as {epochs: 10}')}).nullish()),
		parameters: z.record(z.string(), programParameterSchema, {error: typeError('a mapping from parameter names to lists such as {lr: [0.001, 0.01]}')}).nullish(),
	})
	.superRefine((file, ctx) => {
		const parameters = file.parameters ?? {};
		const base = file.base ?? {};
		checkCommon(file, parameters, new Set(Object.keys(base)), programEpochs(base), ctx, () => '[1, 2]');
		addProblems(ctx, objectivesProblems(file, undefined));
		if (!file.metric && !file.objectives) {
			ctx.addIssue({code: 'custom', path: ['metric'], message: 'required key is missing for a program sweep (add e.g. metric: {name: val_accuracy, goal: maximize}: the name your program reports)'});
		}
		if (file.dataset && file.program.command !== undefined) {
			ctx.addIssue({code: 'custom', path: ['dataset'], message: 'a program command loads its own data (remove dataset, or use program.module to get the shared dataset as trial.data)'});
		}
		if (file.checkpoint !== undefined && file.program.command !== undefined) {
			ctx.addIssue({code: 'custom', path: ['checkpoint'], message: 'a program command checkpoints on its own, into $SWEEPLAB_CHECKPOINT_DIR (remove checkpoint, or use program.module to get trial.checkpoint)'});
		}
		for (const [section, names] of [['base', Object.keys(base)], ['parameters', Object.keys(parameters)]] as const) {
			for (const name of names) {
				if (!PARAMETER_NAME.test(name)) {
					ctx.addIssue({code: 'custom', path: [section, name], message: 'invalid parameter name (use letters, digits, "_", "." or "-", starting with a letter or "_"; it becomes --name=value)'});
				}
			}
		}
		for (const name of Object.keys(parameters)) {
			if (Object.hasOwn(base, name)) {
				ctx.addIssue({code: 'custom', path: ['base', name], message: `${name} is swept in parameters too (keep it in one place)`});
			}
		}
	});

/** A program sweep's epochs for asha's default maxEpochs: base.epochs when it is a whole number, else the most asha takes. */
function programEpochs(base: TrialParams): number {
	return typeof base.epochs === 'number' && Number.isInteger(base.epochs) && base.epochs >= 1 && base.epochs <= 1000 ? base.epochs : 1000;
}

/** Validates a sweep file that has a `program:` key (check.ts dispatches); problems come unsorted. */
export function checkProgramSweep(raw: Record<string, unknown>): SweepCheck {
	const result = programSweepSchema.safeParse(raw);
	if (!result.success) {
		return {ok: false, problems: parseProblems(result.error.issues)};
	}
	const file = result.data;
	const program: ProgramDefinition = file.program.module !== undefined
		? {module: file.program.module}
		: {command: file.program.command!, ...(file.program.cwd !== undefined && {cwd: file.program.cwd}), ...(file.program.env !== undefined && {env: file.program.env})};
	return {
		ok: true,
		definition: {
			...commonDefinition(file, file.dataset && datasetOf(file.dataset), structuredClone(file.base ?? {}), file.parameters ?? {}, programEpochs(file.base ?? {})),
			program,
			...(file.metric !== undefined && {metric: file.metric as MetricSpec}),
		},
	};
}

