/**
 * The sweep file schema (zod 4). Validation happens here, once; everything downstream trusts the
 * resulting SweepDefinition. Every problem is reported as a key path plus a one-line message that names
 * the bad value and what would be right; read.ts prefixes the file name.
 */
import {z} from 'zod';
import {DATASETS, DEFAULT_TRIAL_CONFIG, GOALS, isSuggestedMethod, OBJECTIVES, PRUNER_KINDS, sweepMetric} from '../types.js';
import type {DatasetSpec, MetricSpec, ParameterSpec, PrunerSpec, Scalarization, SweepDefinition, TrialConfig, TrialParams} from '../types.js';
import {canonicalJson} from './hash.js';
import {closestMatch, suggestionHint} from './did-you-mean.js';
import {activeCombinationCount, conditionProblems, parseWhen} from './conditions.js';
import {objectivesProblems} from './objectives.js';
import {PRUNER_DEFAULTS, prunerSpecProblems, type PrunerKind} from './pruner-spec.js';
import {describeValue, formatNumber, compactJson, typeError, intIn, enumOf, LR_SCHEDULE_KEYS, AUGMENT_KEYS, configValueSchemas, partialConfigSchema, FLOAT_KEYS, INT_KEYS, EXAMPLE_LISTS, isPlainObject, type KeyPath, type Problem} from './config-schema.js';
export const METHODS = ['grid', 'random', 'tpe', 'nsga2'] as const;
export const DISTRIBUTIONS = ['uniform', 'log-uniform', 'int-uniform', 'log-int-uniform'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** Above this many trials (configs x repeats) a sweep file is almost certainly a mistake. */
export const MAX_TOTAL_TRIALS = 100_000;
export const MAX_RANDOM_TRIALS = 10_000;
export const MAX_REPEATS = 20;


export const CONFIG_KEYS = Object.keys(DEFAULT_TRIAL_CONFIG) as Array<keyof TrialConfig>;
export const TOP_LEVEL_KEYS = [
	'name',
	'question',
	'method',
	'seed',
	'repeats',
	'trials',
	'dataset',
	'base',
	'parameters',
	'timeoutMinutes',
	'objective',
	'pruner',
	'startupTrials',
	'metric',
	'program',
	'checkpoint',
	'keepBestWeights',
	'multivariate',
	'objectives',
] as const;
/** The metrics the built-in trainer reports at every epoch: what a built-in sweep's `metric` may name. */
export const BUILTIN_METRICS = ['val_accuracy', 'val_loss', 'accuracy', 'loss'] as const;
/** The placeholder a program command's argument list expands to the trial's parameters. */
export const ARGS_PLACEHOLDER = '${args}';
export const DATASET_KEYS = ['name', 'trainLimit', 'testLimit', 'validation'] as const;
const CHECKPOINT_KEYS = ['everyEpochs', 'everySeconds'] as const;
export const CHOICE_KEYS = ['choice', 'when'] as const;
export const DISTRIBUTION_KEYS = ['distribution', 'min', 'max', 'when'] as const;

function issuesToProblems(issues: readonly z.core.$ZodIssue[], allowedKeysAt: (path: KeyPath) => readonly string[]): Problem[] {
	const problems: Problem[] = [];
	for (const issue of issues) {
		const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
		if (issue.code === 'unrecognized_keys') {
			const allowed = allowedKeysAt(path);
			for (const key of issue.keys) {
				problems.push({path: [...path, key], message: unknownKeyMessage(key, allowed, path)});
			}
		} else {
			problems.push({path, message: issue.message.replaceAll(/\s*\n\s*/g, ' ')});
		}
	}
	return problems;
}

function unknownKeyMessage(key: string, allowed: readonly string[], parent: KeyPath): string {
	const match = closestMatch(key, allowed);
	if (match !== undefined) {
		return `unknown key (did you mean "${match}"?)`;
	}
	if (parent.length === 0 && (CONFIG_KEYS as string[]).includes(key)) {
		return `unknown key (trial settings such as ${key} go under base: or parameters:)`;
	}
	return allowed.length > 0 ? `unknown key (expected one of ${allowed.join(', ')})` : 'unknown key';
}

function allowedKeysAt(path: KeyPath): readonly string[] {
	if (path.length === 0) {
		return TOP_LEVEL_KEYS;
	}
	if (path.length === 1 && path[0] === 'program') {
		return ['command', 'cwd', 'env', 'module'];
	}
	if ((path.length === 1 && path[0] === 'metric') || (path.length === 2 && path[0] === 'objectives')) {
		return ['name', 'goal'];
	}
	if (path.length === 1 && path[0] === 'dataset') {
		return DATASET_KEYS;
	}
	if (path.length === 1 && (path[0] === 'base' || path[0] === 'parameters')) {
		return CONFIG_KEYS;
	}
	if (path.length === 2 && path[0] === 'base' && path[1] === 'lrSchedule') {
		return LR_SCHEDULE_KEYS;
	}
	if (path.length === 2 && path[0] === 'base' && path[1] === 'augment') {
		return AUGMENT_KEYS;
	}
	if (path.length === 1 && path[0] === 'checkpoint') {
		return CHECKPOINT_KEYS;
	}
	return [];
}

export function addProblems(ctx: z.RefinementCtx, problems: readonly Problem[], prefix: KeyPath = []): void {
	for (const problem of problems) {
		ctx.addIssue({code: 'custom', path: [...prefix, ...problem.path], message: problem.message});
	}
}

export function checkStrictKeys(raw: Record<string, unknown>, allowed: readonly string[]): Problem[] {
	return Object.keys(raw)
		.filter((key) => !allowed.includes(key))
		.map((key) => ({path: [key], message: unknownKeyMessage(key, allowed, ['spec'])}));
}

function checkValueList(key: keyof TrialConfig, list: unknown[], where: KeyPath): {problems: Problem[]; values: unknown[]} {
	const problems: Problem[] = [];
	if (list.length === 0) {
		problems.push({path: where, message: `empty list (give at least one value, e.g. ${key}: ${EXAMPLE_LISTS[key]})`});
		return {problems, values: []};
	}
	const schema: z.ZodType = configValueSchemas[key];
	const seen = new Map<string, number>();
	const values: unknown[] = [];
	for (const [index, item] of list.entries()) {
		const result = schema.safeParse(item);
		if (!result.success) {
			problems.push(...issuesToProblems(result.error.issues, () => []).map((p) => ({path: [...where, index, ...p.path], message: p.message})));
			continue;
		}
		const canonical = canonicalJson(result.data);
		const earlier = seen.get(canonical);
		if (earlier !== undefined) {
			problems.push({
				path: [...where, index],
				message: `duplicate value ${compactJson(item)} (same as [${earlier}]; each value must appear once)`,
			});
			continue;
		}
		seen.set(canonical, index);
		values.push(result.data);
	}
	return {problems, values};
}

function checkDistribution(key: keyof TrialConfig, raw: Record<string, unknown>): {problems: Problem[]; spec?: ParameterSpec} {
	const problems = checkStrictKeys(raw, DISTRIBUTION_KEYS);
	const distribution = raw.distribution;
	if (typeof distribution !== 'string' || !(DISTRIBUTIONS as readonly string[]).includes(distribution)) {
		const message =
			typeof distribution === 'string'
				? `unknown distribution ${JSON.stringify(distribution)}${suggestionHint(distribution, DISTRIBUTIONS)}`
				: `expected a distribution (one of ${DISTRIBUTIONS.join(', ')}), got ${describeValue(distribution)}`;
		problems.push({path: ['distribution'], message});
		return {problems};
	}
	const kind = distribution as Distribution;
	const isInt = kind === 'int-uniform' || kind === 'log-int-uniform';
	const isLog = kind === 'log-uniform' || kind === 'log-int-uniform';
	if (!FLOAT_KEYS.has(key) && !INT_KEYS.has(key)) {
		const hint = key === 'kernelSize' ? 'kernel sizes must be odd; list them, e.g. kernelSize: [3, 5, 7]' : `list the values or use {choice: ${EXAMPLE_LISTS[key]}}`;
		problems.push({path: ['distribution'], message: `a distribution needs a numeric key, and ${key} is not one (${hint})`});
		return {problems};
	}
	if (INT_KEYS.has(key) && !isInt) {
		problems.push({path: ['distribution'], message: `${key} takes integers, got distribution ${kind} (use int-uniform or log-int-uniform)`});
		return {problems};
	}
	const ends: Array<['min' | 'max', unknown]> = [
		['min', raw.min],
		['max', raw.max],
	];
	for (const [end, value] of ends) {
		if (value === undefined) {
			problems.push({path: [end], message: `required key is missing (${kind} needs both min and max)`});
		} else if (typeof value !== 'number' || !Number.isFinite(value)) {
			problems.push({path: [end], message: `expected a number, got ${describeValue(value)}`});
		} else if (isInt && !Number.isInteger(value)) {
			problems.push({path: [end], message: `${kind} needs an integer, got ${formatNumber(value)}`});
		} else if (isLog && value <= 0) {
			problems.push({path: [end], message: `${kind} needs ${end} > 0, got ${formatNumber(value)} (a log scale cannot reach 0; e.g. min: 0.00001)`});
		} else {
			const result = configValueSchemas[key].safeParse(value);
			if (!result.success) {
				problems.push(...issuesToProblems(result.error.issues, () => []).map((p) => ({path: [end], message: `${p.message.replace(/ \(.*\)$/, '')} (every sampled ${key} must be valid)`})));
			}
		}
	}
	if (problems.length > 0) {
		return {problems};
	}
	const min = raw.min as number;
	const max = raw.max as number;
	if (!(min < max)) {
		problems.push({
			path: ['max'],
			message: `must be greater than min, got min ${formatNumber(min)} and max ${formatNumber(max)} (for a fixed value set ${key} in base:)`,
		});
		return {problems};
	}
	return {problems, spec: {kind, min, max}};
}

/**
 * A parameter's `when:` (if its mapping has one) added to the spec parsed from the rest: the one place both kinds of
 * sweep file read it, so that a list, {choice: ...} and {distribution: ...} all stay as they were without it.
 */
export function withCondition(raw: unknown, ctx: z.RefinementCtx, spec: ParameterSpec): ParameterSpec {
	if (!isPlainObject(raw) || !('when' in raw)) {
		return spec;
	}
	const {problems, when} = parseWhen(raw.when);
	addProblems(ctx, problems);
	return when ? {...spec, when} : spec;
}

/**
 * A base (fixed) value written as a conditional parameter ({choice: ..., when: ...}) is reported as that and left out,
 * so that the one line says where it belongs rather than that a mapping is the wrong type.
 */
export function baseWithoutConditions(value: unknown, ctx: z.core.ParsePayload): unknown {
	if (!isPlainObject(value)) {
		return value;
	}
	const kept: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		if (isPlainObject(item) && 'when' in item && ('choice' in item || 'distribution' in item)) {
			const when = isPlainObject(item.when) ? Object.entries(item.when).map(([name, allowed]) => `${name}: ${compactJson(allowed)}`).join(', ') : 'its condition holds';
			ctx.issues.push({code: 'custom', path: [key, 'when'], input: item, message: `a base value applies to every trial; a setting that applies only when ${when} goes under parameters:`});
		} else {
			kept[key] = item;
		}
	}
	return kept;
}

/** Message for a mapping with `when:` but neither choice nor distribution. */
export const WHEN_ALONE = 'a parameter with when needs its values next to it: {choice: [...], when: ...} or {distribution: ..., min, max, when: ...}';

function parameterSpecSchema(key: keyof TrialConfig) {
	return z.unknown().transform((raw, ctx): ParameterSpec => withCondition(raw, ctx, parseParameterSpec(key, raw, ctx)));
}

function parseParameterSpec(key: keyof TrialConfig, raw: unknown, ctx: z.RefinementCtx): ParameterSpec {
	if (Array.isArray(raw)) {
		const {problems, values} = checkValueList(key, raw, []);
		addProblems(ctx, problems);
		return {kind: 'values', values};
	}
	if (isPlainObject(raw)) {
		if ('choice' in raw) {
			const strict = checkStrictKeys(raw, CHOICE_KEYS).map((problem) =>
				problem.path[0] === 'distribution' ? {...problem, message: 'a parameter takes either choice or distribution, not both (keep one)'} : problem,
			);
			if (!Array.isArray(raw.choice)) {
				addProblems(ctx, [...strict, {path: ['choice'], message: `expected a list of values such as ${EXAMPLE_LISTS[key]}, got ${describeValue(raw.choice)}`}]);
				return {kind: 'values', values: []};
			}
			const {problems, values} = checkValueList(key, raw.choice, ['choice']);
			addProblems(ctx, [...strict, ...problems]);
			return {kind: 'values', values};
		}
		if ('distribution' in raw) {
			const {problems, spec} = checkDistribution(key, raw);
			addProblems(ctx, problems);
			return spec ?? {kind: 'values', values: []};
		}
		const nearMiss = Object.keys(raw).find((k) => k !== 'when' && closestMatch(k, [...CHOICE_KEYS, 'distribution']) !== undefined);
		if (nearMiss !== undefined) {
			addProblems(ctx, [{path: [nearMiss], message: unknownKeyMessage(nearMiss, [...CHOICE_KEYS, ...DISTRIBUTION_KEYS], ['spec'])}]);
		} else if ('min' in raw || 'max' in raw) {
			addProblems(ctx, [{path: ['distribution'], message: `required key is missing (add distribution: ${INT_KEYS.has(key) ? 'int-uniform' : 'log-uniform'} next to min and max)`}]);
		} else if ('when' in raw) {
			addProblems(ctx, [{path: [], message: `${WHEN_ALONE} (e.g. ${key}: {choice: ${EXAMPLE_LISTS[key]}, when: {model: cnn}})`}]);
		} else {
			addProblems(ctx, [{path: [], message: `expected a list of values, {choice: [...]} or {distribution: ..., min, max}, got ${describeValue(raw)} (e.g. ${key}: ${EXAMPLE_LISTS[key]})`}]);
		}
		return {kind: 'values', values: []};
	}
	const got = raw === null ? 'nothing' : describeValue(raw);
	addProblems(ctx, [{path: [], message: `expected a list of values, got ${got} (e.g. ${key}: ${EXAMPLE_LISTS[key]}; a fixed value belongs in base:)`}]);
	return {kind: 'values', values: []};
}

const parametersSchema = z.strictObject(
	{
	model: parameterSpecSchema('model').optional(),
	hidden: parameterSpecSchema('hidden').optional(),
	conv: parameterSpecSchema('conv').optional(),
	kernelSize: parameterSpecSchema('kernelSize').optional(),
	activation: parameterSpecSchema('activation').optional(),
	optimizer: parameterSpecSchema('optimizer').optional(),
	learningRate: parameterSpecSchema('learningRate').optional(),
	loss: parameterSpecSchema('loss').optional(),
	batchSize: parameterSpecSchema('batchSize').optional(),
	epochs: parameterSpecSchema('epochs').optional(),
	dropout: parameterSpecSchema('dropout').optional(),
	batchNorm: parameterSpecSchema('batchNorm').optional(),
	earlyStopping: parameterSpecSchema('earlyStopping').optional(),
	standardize: parameterSpecSchema('standardize').optional(),
	lrSchedule: parameterSpecSchema('lrSchedule').optional(),
	weightDecay: parameterSpecSchema('weightDecay').optional(),
	weightDecayMode: parameterSpecSchema('weightDecayMode').optional(),
	labelSmoothing: parameterSpecSchema('labelSmoothing').optional(),
	augment: parameterSpecSchema('augment').optional(),
	globalPool: parameterSpecSchema('globalPool').optional(),
},
	{error: typeError('a mapping from trial settings to lists such as {learningRate: [0.001, 0.01]}')},
);

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const datasetSchema = z.strictObject(
	{
		name: enumOf('dataset', DATASETS, ` (add name: ${DATASETS[0]})`),
		trainLimit: intIn(1, Number.MAX_SAFE_INTEGER, ' (a count of training images)').optional(),
		testLimit: intIn(1, Number.MAX_SAFE_INTEGER, ' (a count of test images)').optional(),
		validation: z
			.union([z.number(), z.string()], {error: typeError('a fraction in (0, 0.5] or "test"')})
			.superRefine((value, ctx) => {
				const ok = typeof value === 'number' ? value > 0 && value <= 0.5 : value === 'test';
				if (!ok) {
					ctx.addIssue({
						code: 'custom',
						message: `expected a fraction in (0, 0.5] or "test", got ${describeValue(value)} (e.g. 0.1 holds out 10% of the training set)`,
						input: value,
					});
				}
			})
			.default(0.1),
	},
	{error: typeError('a mapping such as {name: fashion-mnist}', ' (add dataset: {name: fashion-mnist})')},
);

export const metricSchema = z.strictObject(
	{
		name: z.string({error: typeError('a metric name such as val_accuracy')}).regex(/^[A-Za-z_][\w.\-/]{0,63}$/, {
			message: 'invalid metric name (use up to 64 letters, digits, "_", ".", "-" or "/", starting with a letter or "_", e.g. val_accuracy)',
		}),
		goal: enumOf('goal', GOALS, ' (add goal: maximize or goal: minimize)'),
	},
	{error: typeError('a mapping such as {name: val_accuracy, goal: maximize}')},
);

const prunerSchema = z.preprocess(
	value => (typeof value === 'string' ? {kind: value} : value),
	z.strictObject(
		{
			kind: enumOf('pruner', PRUNER_KINDS),
			warmupEpochs: intIn(0, 1000).optional(),
			minTrials: intIn(1, 10_000).optional(),
			minEpochs: intIn(1, 1000).optional(),
			maxEpochs: intIn(1, 1000).optional(),
			reductionFactor: intIn(2, 100).optional(),
			scalarize: z.strictObject({
				weights: z.array(z.number({error: typeError('a weight, a number >= 0')}).refine(value => Number.isFinite(value) && value >= 0, {message: 'must be a number >= 0'}), {error: typeError('a list of weights, one per objective, such as [0.7, 0.3]')}),
			}, {error: typeError('a mapping such as {weights: [0.7, 0.3]} (one weight per objective)')}).optional(),
		},
		{error: typeError(`a pruner name (${PRUNER_KINDS.join(', ')}) or a mapping such as {kind: asha, minEpochs: 1, reductionFactor: 3}`)},
	),
);

/** The keys every sweep file takes, built-in or program. */
export const commonKeys = {
	name: z.string({error: typeError('a sweep name such as learning-rate', ' (add e.g. name: learning-rate)')}).superRefine((value, ctx) => {
		if (!NAME_PATTERN.test(value)) {
			ctx.addIssue({
				code: 'custom',
				message: `invalid name ${JSON.stringify(value)} (use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
				input: value,
			});
		}
	}),
	question: z.string({error: typeError('a one-line question')}).optional(),
	method: enumOf('method', METHODS, ' (add method: grid or method: random)'),
	seed: intIn(0, Number.MAX_SAFE_INTEGER).default(0),
	repeats: intIn(1, MAX_REPEATS, ' (independent seeds per config)').default(1),
	trials: intIn(1, MAX_RANDOM_TRIALS, ` (at most ${MAX_RANDOM_TRIALS} trials per random sweep)`).optional(),
	timeoutMinutes: z
		.number({error: typeError('a number of minutes such as 30')})
		.refine(value => Number.isFinite(value) && value > 0 && value <= 10_080, {message: 'must be more than 0 and at most 10080 minutes (a week)'})
		.optional(),
	startupTrials: intIn(1, 1000, ' (random trials before TPE takes over)').optional(),
	multivariate: z.boolean({error: typeError('true or false')}).optional(),
	pruner: prunerSchema.optional(),
	objectives: z.array(metricSchema, {error: typeError('a list such as [{name: val_accuracy, goal: maximize}, {name: train_seconds, goal: minimize}]')}).optional(),
};

type CommonFile = {
	method: (typeof METHODS)[number];
	trials?: number;
	repeats: number;
	startupTrials?: number;
	multivariate?: boolean;
	pruner?: z.infer<typeof prunerSchema>;
	objectives?: MetricSpec[];
	/** Built-in sweeps and module objectives. */
	checkpoint?: false | {everyEpochs?: number; everySeconds?: number};
	/** Built-in sweeps only (the program sweep schema has no such key). */
	keepBestWeights?: boolean;
};

/**
 * The checks of method, trials, repeats, pruner, conditions and grid size every sweep file gets; `epochs`: asha's default
 * maxEpochs; `fixed`: the settings that are not swept (base keys), which a condition cannot name.
 */
export function checkCommon(file: CommonFile, parameters: Partial<Record<string, ParameterSpec>>, fixed: ReadonlySet<string>, epochs: number, ctx: z.RefinementCtx, example: (key: string) => string): void {
	const conditions = conditionProblems(parameters, fixed);
	addProblems(ctx, conditions);
	if (file.method === 'grid' && file.trials !== undefined) {
		ctx.addIssue({code: 'custom', path: ['trials'], message: 'only random and tpe sweeps take trials; a grid runs every combination (remove trials or use method: random)'});
	}
	if (file.method !== 'grid' && file.trials === undefined) {
		ctx.addIssue({code: 'custom', path: ['trials'], message: `required key is missing for method: ${file.method} (add e.g. trials: 20)`});
	}
	if (isSuggestedMethod(file.method) && file.repeats !== 1) {
		ctx.addIssue({code: 'custom', path: ['repeats'], message: `${file.method} samples every config once (use repeats: 1, then retrain the winner with repeats in a grid sweep)`});
	}
	if (!isSuggestedMethod(file.method) && file.startupTrials !== undefined) {
		ctx.addIssue({code: 'custom', path: ['startupTrials'], message: 'only method: tpe takes startupTrials, and nsga2 as its population size (remove it or use method: tpe)'});
	}
	if (file.method !== 'tpe' && file.multivariate !== undefined) {
		ctx.addIssue({code: 'custom', path: ['multivariate'], message: 'only method: tpe takes multivariate (remove it or use method: tpe)'});
	}
	if (file.pruner) {
		for (const problem of prunerSpecProblems(completePruner(file.pruner, epochs))) {
			ctx.addIssue({code: 'custom', path: ['pruner', problem.key], message: problem.message});
		}
	}
	if (file.method === 'grid') {
		for (const [key, spec] of Object.entries(parameters)) {
			if (spec && spec.kind !== 'values') {
				ctx.addIssue({
					code: 'custom',
					path: ['parameters', key],
					message: `a grid needs a list of values, got a ${spec.kind} distribution (list the values, e.g. ${key}: ${example(key)}, or use method: random)`,
				});
			}
		}
		if (conditions.length > 0) {
			return;
		}
		const configs = gridConfigCount(parameters, MAX_TOTAL_TRIALS);
		const total = configs * file.repeats;
		if (total > MAX_TOTAL_TRIALS) {
			ctx.addIssue({
				code: 'custom',
				path: ['parameters'],
				message: `the grid expands to ${total} trials (${configs} configs x ${file.repeats} repeats), over the limit of ${MAX_TOTAL_TRIALS} (shorten the lists or use method: random)`,
			});
		}
	} else if (file.trials !== undefined && file.trials * file.repeats > MAX_TOTAL_TRIALS) {
		ctx.addIssue({
			code: 'custom',
			path: ['trials'],
			message: `${file.trials} trials x ${file.repeats} repeats = ${file.trials * file.repeats} trials, over the limit of ${MAX_TOTAL_TRIALS} (lower trials or repeats)`,
		});
	}
}

/** `checkpoint:` (docs/checkpoints.md): the built-in trainer's and module objectives' checkpoint policy. */
export const checkpointSchema = z
	.union([
		z.literal(false),
		z.strictObject({
			everyEpochs: intIn(1, 1000, ' (checkpoint after every N-th epoch)').optional(),
			everySeconds: z
				.number({error: typeError('a number of seconds such as 60')})
				.refine(value => Number.isFinite(value) && value >= 0 && value <= 86_400, {message: 'must be a number of seconds from 0 to 86400 (0: after every epoch)'})
				.optional(),
		}).refine(value => value.everyEpochs !== undefined || value.everySeconds !== undefined, {
			message: 'give everyEpochs, everySeconds or both (or checkpoint: false to turn checkpoints off)',
			// Only for a mapping that is otherwise fine: a misspelt key is the problem to report, not the missing one.
			when: payload => payload.issues.length === 0,
		}),
	], {error: typeError('false, or a mapping such as {everyEpochs: 1} or {everySeconds: 60}')});

export const sweepFileSchema = z
	.strictObject({
		...commonKeys,
		dataset: datasetSchema,
		base: z.preprocess(baseWithoutConditions, partialConfigSchema.nullish()),
		parameters: parametersSchema.nullish(),
		objective: enumOf('objective', OBJECTIVES).optional(),
		metric: metricSchema.optional(),
		checkpoint: checkpointSchema.optional(),
		keepBestWeights: z.boolean({error: typeError('true or false')}).optional(),
	})
	.superRefine((file, ctx) => {
		const parameters: Partial<Record<keyof TrialConfig, ParameterSpec>> = file.parameters ?? {};
		const base = file.base ?? {};
		checkCommon(file, parameters, new Set(CONFIG_KEYS.filter(key => parameters[key] === undefined)), {...DEFAULT_TRIAL_CONFIG, ...stripUndefined(base)}.epochs, ctx, key => EXAMPLE_LISTS[key as keyof TrialConfig]);
		addProblems(ctx, objectivesProblems(file, BUILTIN_METRICS));
		if (file.metric) {
			if (file.objective !== undefined) {
				ctx.addIssue({code: 'custom', path: ['objective'], message: 'give either objective or metric, not both (metric: {name: val_loss, goal: minimize} is objective: val_loss)'});
			}
			if (!(BUILTIN_METRICS as readonly string[]).includes(file.metric.name)) {
				ctx.addIssue({
					code: 'custom',
					path: ['metric', 'name'],
					message: `the built-in trainer reports ${BUILTIN_METRICS.join(', ')} at every epoch, not ${JSON.stringify(file.metric.name)}${suggestionHint(file.metric.name, BUILTIN_METRICS)}`,
				});
			}
		}
		const modelSpec = parameters.model;
		const models = modelSpec?.kind === 'values' ? modelSpec.values : [base.model ?? DEFAULT_TRIAL_CONFIG.model];
		if (!models.includes('cnn')) {
			for (const section of ['base', 'parameters'] as const) {
				const given = section === 'base' ? base : parameters;
				for (const key of ['conv', 'kernelSize', 'globalPool'] as const) {
					// globalPool: false is what every mlp has, so only a true one is out of place.
					const spec = parameters.globalPool;
					const poolsSomewhere = section === 'base' ? base.globalPool === true : spec?.kind === 'values' && spec.values.includes(true);
					if (key === 'globalPool' ? poolsSomewhere : given[key] !== undefined) {
						ctx.addIssue({
							code: 'custom',
							path: [section, key],
							message: `${key} applies to model: cnn only, and no trial of this sweep is a cnn (remove ${key} or set model: cnn)`,
						});
					}
				}
			}
		}
		if (models.includes('cnn')) {
			for (const key of ['conv', 'kernelSize', 'globalPool'] as const) {
				const allowed = parameters[key]?.when?.model;
				// A condition naming a value model never takes is reported by conditionProblems alone.
				if (allowed !== undefined && !allowed.includes('cnn') && allowed.every(value => models.includes(value))) {
					ctx.addIssue({code: 'custom', path: ['parameters', key], message: `${key} applies to model: cnn only, and its condition excludes cnn (model: ${allowed.join(', ')}; use when: {model: cnn})`});
				}
			}
		}
		const smoothingProblem = labelSmoothingProblem(base, parameters);
		if (smoothingProblem) {
			ctx.addIssue({code: 'custom', ...smoothingProblem});
		}
	});

/** Label smoothing is defined for the cross-entropy only: a sweep that could pair a smoothing above 0 with another loss is refused. */
function labelSmoothingProblem(base: Partial<TrialConfig>, parameters: Partial<Record<keyof TrialConfig, ParameterSpec>>): Problem | undefined {
	const valuesOf = (key: 'labelSmoothing' | 'loss'): unknown[] => {
		const spec = parameters[key];
		if (spec === undefined) {
			return [base[key] ?? DEFAULT_TRIAL_CONFIG[key]];
		}
		return spec.kind === 'values' ? spec.values : [spec.min, spec.max];
	};
	const smoothing = valuesOf('labelSmoothing').find(value => typeof value === 'number' && value > 0);
	const loss = valuesOf('loss').find(value => value !== 'sparseCategoricalCrossentropy');
	if (smoothing === undefined || loss === undefined) {
		return undefined;
	}
	return {
		path: [parameters.labelSmoothing ? 'parameters' : 'base', 'labelSmoothing'],
		message: `labelSmoothing ${String(smoothing)} applies to loss: sparseCategoricalCrossentropy only, and this sweep trains loss ${String(loss)} too (set labelSmoothing: 0 or keep the loss to sparseCategoricalCrossentropy)`,
	};
}

/** A pruner as written (name and optional settings) with the defaults filled; asha's and hyperband's maxEpochs default to base.epochs. */
function completePruner(raw: {kind: PrunerKind; warmupEpochs?: number; minTrials?: number; minEpochs?: number; maxEpochs?: number; reductionFactor?: number; scalarize?: Scalarization}, epochs: number): PrunerSpec {
	// Only median, asha and hyperband weigh objectives; objectivesProblems reports a scalarize given to another kind.
	const scalarize = raw.scalarize && {scalarize: {weights: [...raw.scalarize.weights]}};
	switch (raw.kind) {
		case 'median':
		case 'pareto': {
			const defaults = PRUNER_DEFAULTS[raw.kind];
			return {kind: raw.kind, warmupEpochs: raw.warmupEpochs ?? defaults.warmupEpochs, minTrials: raw.minTrials ?? defaults.minTrials, ...(raw.kind === 'median' && scalarize)};
		}

		case 'asha':
		case 'hyperband': {
			const defaults = PRUNER_DEFAULTS[raw.kind];
			return {kind: raw.kind, minEpochs: raw.minEpochs ?? defaults.minEpochs, maxEpochs: raw.maxEpochs ?? epochs, reductionFactor: raw.reductionFactor ?? defaults.reductionFactor, ...scalarize};
		}
	}
}

/**
 * Configs in a grid over these parameters (1 without parameters), counting only the combinations their conditions allow;
 * distributions count as one value. Past `cap` the count may stop short (it is over the cap either way).
 */
export function gridConfigCount(parameters: Partial<Record<string, ParameterSpec>>, cap?: number): number {
	const given: Record<string, ParameterSpec> = {};
	for (const [key, spec] of Object.entries(parameters)) {
		if (spec !== undefined) {
			given[key] = spec;
		}
	}
	return activeCombinationCount(given, cap);
}

export type SweepCheck = {ok: true; definition: SweepDefinition} | {ok: false; problems: Problem[]};

/** A schema's parse issues as problems, unknown keys with the keys allowed where they stand (check.ts sorts them). */
export function parseProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
	return issuesToProblems(issues, allowedKeysAt);
}

/** Validates a built-in sweep file (no `program:` key; check.ts dispatches); problems come unsorted. */
export function checkBuiltinSweep(raw: Record<string, unknown>): SweepCheck {
	const result = sweepFileSchema.safeParse(raw);
	if (!result.success) {
		return {ok: false, problems: parseProblems(result.error.issues)};
	}
	const file = result.data;
	const base: TrialConfig = structuredClone({...DEFAULT_TRIAL_CONFIG, ...stripUndefined(file.base ?? {})});
	const definition: SweepDefinition = {
		...commonDefinition(file, datasetOf(file.dataset), base, file.parameters ?? {}, base.epochs),
		...(file.objective !== undefined && {objective: file.objective}),
		...(file.metric !== undefined && {metric: file.metric as MetricSpec}),
	};
	return {ok: true, definition};
}

type ParsedDataset = {name: DatasetSpec['name']; trainLimit?: number; testLimit?: number; validation: unknown};

export function datasetOf(dataset: ParsedDataset): DatasetSpec {
	return {
		name: dataset.name,
		...(dataset.trainLimit !== undefined && {trainLimit: dataset.trainLimit}),
		...(dataset.testLimit !== undefined && {testLimit: dataset.testLimit}),
		validation: dataset.validation as number | 'test',
	};
}

/** The definition's keys every sweep has, in the order they were always written (the definition hash sorts them anyway). */
export function commonDefinition(
	file: CommonFile & {name: string; question?: string; seed: number; timeoutMinutes?: number},
	dataset: DatasetSpec | undefined,
	base: TrialParams,
	given: Partial<Record<string, ParameterSpec>>,
	epochs: number,
): SweepDefinition {
	const parameters: Record<string, ParameterSpec> = {};
	for (const [key, spec] of Object.entries(given)) {
		if (spec !== undefined) {
			parameters[key] = spec;
		}
	}
	return {
		name: file.name,
		...(file.question !== undefined && {question: file.question}),
		method: file.method,
		seed: file.seed,
		repeats: file.repeats,
		...(file.trials !== undefined && {trials: file.trials}),
		...(dataset && {dataset}),
		base,
		parameters,
		...(file.timeoutMinutes !== undefined && {timeoutMinutes: file.timeoutMinutes}),
		...(file.startupTrials !== undefined && {startupTrials: file.startupTrials}),
		...(file.multivariate !== undefined && {multivariate: file.multivariate}),
		// The first reported metric among the objectives is also the sweep's metric, which the SQL views rank by.
		...(file.objectives !== undefined && {objectives: file.objectives.map(({name, goal}) => ({name, goal})), metric: {...sweepMetric({objectives: file.objectives})}}),
		...(file.pruner && {pruner: completePruner(file.pruner, epochs)}),
		...(file.checkpoint !== undefined && {checkpoint: file.checkpoint === false ? false : stripUndefined(file.checkpoint)}),
		...(file.keepBestWeights !== undefined && {keepBestWeights: file.keepBestWeights}),
	};
}

function stripUndefined<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
