/**
 * The building blocks of the sweep-file schema: problems and their one-line messages, and the schemas of every
 * trial config value (used for `base` and for each value and range end in `parameters`). schema.ts assembles them.
 */
import {z} from 'zod';
import {ACTIVATIONS, DEFAULT_EARLY_STOPPING, LOSSES, LR_SCHEDULE_KINDS, MODELS, OBJECTIVES, OPTIMIZERS, STANDARDIZE_MODES, WEIGHT_DECAY_MODES} from '../types.js';
import type {RelativeDelta, TrialConfig} from '../types.js';
import {suggestionHint} from './did-you-mean.js';

export type KeyPath = Array<string | number>;

/** One validation problem. `message` is one line: the problem, then a hint in parentheses. */
export interface Problem {
	path: KeyPath;
	message: string;
}

/** `a.b[2].c`; the empty path (the document itself) is `(root)`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
	let text = '';
	for (const segment of path) {
		if (typeof segment === 'number') {
			text += `[${segment}]`;
		} else {
			text += text === '' ? String(segment) : `.${String(segment)}`;
		}
	}
	return text === '' ? '(root)' : text;
}

/** A short, single-line rendering of a user value for messages: `string "abc"`, `list [64, 64]`, `number 3`. */
export function describeValue(value: unknown): string {
	if (value === null) {
		return 'null';
	}
	if (Array.isArray(value)) {
		return `list ${truncate(compactJson(value))}`;
	}
	switch (typeof value) {
		case 'string': {
			return `string ${truncate(JSON.stringify(value))}`;
		}
		case 'number': {
			return `number ${formatNumber(value)}`;
		}
		case 'boolean': {
			return `boolean ${String(value)}`;
		}
		case 'object': {
			return `mapping ${truncate(compactJson(value))}`;
		}
		default: {
			return typeof value;
		}
	}
}

export function formatNumber(value: number): string {
	return Number.isFinite(value) ? String(value) : String(value).replace('Infinity', 'infinity');
}

export function compactJson(value: unknown): string {
	try {
		return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? String(item) : item)).replaceAll(',', ', ');
	} catch {
		return String(value);
	}
}

export function truncate(text: string, max = 48): string {
	return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** The error for a missing key or a value of the wrong type. */
export function typeError(expected: string, missingHint = '') {
	return (issue: {input?: unknown}): string =>
		issue.input === undefined ? `required key is missing${missingHint}` : `expected ${expected}, got ${describeValue(issue.input)}`;
}

export function intIn(min: number, max: number, hint = '') {
	const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
	return z.number({error: typeError(`an integer ${range}`)}).superRefine((value, ctx) => {
		if (!Number.isInteger(value) || value < min || value > max) {
			ctx.addIssue({code: 'custom', message: `must be an integer ${range}, got ${formatNumber(value)}${hint}`, input: value});
		}
	});
}

export function enumOf<const T extends readonly [string, ...string[]]>(label: string, values: T, missingHint = '') {
	return z.enum(values, {
		error(issue) {
			if (issue.input === undefined) {
				return `required key is missing${missingHint}`;
			}
			if (typeof issue.input === 'string') {
				return `unknown ${label} ${JSON.stringify(issue.input)}${suggestionHint(issue.input, values)}`;
			}
			return `expected a ${label} (one of ${values.join(', ')}), got ${describeValue(issue.input)}`;
		},
	});
}

export function intList(what: string, example: string, minLength: number, maxLength: number, minItem: number, maxItem: number) {
	return z
		.array(intIn(minItem, maxItem), {error: typeError(`a list of ${what} such as ${example}`)})
		.superRefine((list, ctx) => {
			if (list.length < minLength || list.length > maxLength) {
				const range = minLength === maxLength ? String(minLength) : `${minLength} to ${maxLength}`;
				ctx.addIssue({
					code: 'custom',
					message: `has ${list.length} layers, expected ${range} (a list of ${what} such as ${example})`,
					input: list,
				});
			}
		});
}

/** A number in [0, 1) (weight decay, label smoothing): one line naming the bad value. */
export function fractionBelowOne(what: string, example: string) {
	return z.number({error: typeError(`${what} in [0, 1) such as ${example}`)}).superRefine((value, ctx) => {
		if (!(value >= 0 && value < 1)) {
			ctx.addIssue({code: 'custom', message: `must be in [0, 1), got ${formatNumber(value)} (0 turns it off; e.g. ${example})`, input: value});
		}
	});
}

export const nonNegativeEpochs = z.number({error: typeError('a number of epochs >= 0 such as 1')}).superRefine((value, ctx) => {
	if (!(value >= 0 && value <= 1000)) {
		ctx.addIssue({code: 'custom', message: `must be in 0..1000 epochs, got ${formatNumber(value)}`, input: value});
	}
});

export const rateBelowOne = (example: string) => z.number({error: typeError(`a factor in (0, 1) such as ${example}`)}).superRefine((value, ctx) => {
	if (!(value > 0 && value < 1)) {
		ctx.addIssue({code: 'custom', message: `must be in (0, 1), got ${formatNumber(value)} (the factor the learning rate is multiplied by, e.g. ${example})`, input: value});
	}
});

/** Keys a schedule may have, for the unknown-key hint. */
export const LR_SCHEDULE_KEYS = ['kind', 'warmupEpochs', 'stepEpochs', 'gamma', 'patience', 'factor', 'minLr'] as const;
export const AUGMENT_KEYS = ['translate', 'flip'] as const;
export const LR_SCHEDULE_EXAMPLE = '{kind: cosine, warmupEpochs: 1}, {kind: step, stepEpochs: 10, gamma: 0.1} or {kind: plateau, patience: 10, factor: 0.1}';

/** `cosine` alone stands for {kind: cosine}; false for null. Defaults as PyTorch's StepLR and ReduceLROnPlateau (and Keras'). */
export const lrScheduleSchema = z.preprocess(
	value => (value === false ? null : (typeof value === 'string' ? {kind: value} : value)),
	z.discriminatedUnion('kind', [
		z.strictObject({kind: z.literal('cosine'), warmupEpochs: nonNegativeEpochs.default(0)}),
		z.strictObject({kind: z.literal('step'), stepEpochs: intIn(1, 1000, ' (epochs between two decays)'), gamma: rateBelowOne('0.1').default(0.1)}),
		z.strictObject({
			kind: z.literal('plateau'),
			patience: intIn(1, 1000, ' (epochs without a better val_loss before the rate drops)').default(10),
			factor: rateBelowOne('0.1').default(0.1),
			minLr: z.number({error: typeError('a learning rate >= 0 such as 0.00001')}).refine(value => value >= 0 && value <= 10, {message: 'must be in [0, 10] (the learning rate never drops below it)'}).default(0),
		}),
	], {
		error(issue) {
			const kind = isPlainObject(issue.input) ? issue.input.kind : undefined;
			if (typeof kind === 'string') {
				return `unknown schedule kind ${JSON.stringify(kind)}${suggestionHint(kind, LR_SCHEDULE_KINDS)}`;
			}
			return `expected null or a schedule such as ${LR_SCHEDULE_EXAMPLE}, got ${describeValue(issue.input)}`;
		},
	}).nullable(),
);

export const augmentSchema = z.preprocess(
	value => (value === false ? null : value),
	z.strictObject(
		{
			translate: intIn(0, 8, ' (the largest shift in pixels, each way)').default(0),
			flip: z.boolean({error: typeError('true or false')}).default(false),
		},
		{error: typeError('null, false, or a mapping such as {translate: 2, flip: true}')},
	).nullable(),
);

/** The schema of every TrialConfig value, used for `base` and for every value (and range end) in `parameters`. */
/** A percentage as YAML reads `1%` or `0.5%` (a string): what a RelativeDelta must look like. */
const RELATIVE_DELTA = /^(?:\d+(?:\.\d*)?|\.\d+)%$/;

/** earlyStopping.minDelta: an amount >= 0 of the monitored metric, or a share of its best value such as `1%` (below 100%). */
const minDeltaSchema = z.union([z.number(), z.string()], {error: typeError('a number >= 0 such as 0.001, or a percentage such as 1%')}).superRefine((value, ctx) => {
	if (typeof value === 'number' ? !(value >= 0 && Number.isFinite(value)) : !(RELATIVE_DELTA.test(value) && Number.parseFloat(value) < 100)) {
		ctx.addIssue({
			code: 'custom',
			message: `must be a number >= 0 or a percentage below 100% of the best value, got ${describeValue(value)} (0.001 is an absolute change; 1% is scale-aware, the same for any loss)`,
			input: value,
		});
	}
}) as z.ZodType<number | RelativeDelta, number | string>;

export const configValueSchemas = {
	model: enumOf('model', MODELS),
	hidden: intList('units', '[64, 64]', 0, 16, 1, 8192),
	conv: intList('filter counts', '[16, 32]', 1, 4, 1, 512),
	kernelSize: z.number({error: typeError('an odd integer in 1..7')}).superRefine((value, ctx) => {
		if (!Number.isInteger(value) || value < 1 || value > 7 || value % 2 === 0) {
			ctx.addIssue({code: 'custom', message: `must be an odd integer in 1..7, got ${formatNumber(value)} (use 1, 3, 5 or 7)`, input: value});
		}
	}),
	activation: enumOf('activation', ACTIVATIONS),
	optimizer: enumOf('optimizer', OPTIMIZERS),
	learningRate: z.number({error: typeError('a number such as 0.001')}).superRefine((value, ctx) => {
		if (!(value > 0 && value <= 10)) {
			ctx.addIssue({
				code: 'custom',
				message: `must be > 0 and <= 10, got ${formatNumber(value)} (typical learning rates are 0.00001 to 0.1)`,
				input: value,
			});
		}
	}),
	loss: enumOf('loss', LOSSES),
	batchSize: intIn(1, 4096),
	epochs: intIn(1, 1000),
	dropout: z.number({error: typeError('a rate in [0, 0.95]')}).superRefine((value, ctx) => {
		if (!(value >= 0 && value <= 0.95)) {
			ctx.addIssue({code: 'custom', message: `must be in [0, 0.95], got ${formatNumber(value)} (0 turns dropout off)`, input: value});
		}
	}),
	batchNorm: z.boolean({error: typeError('true or false')}),
	earlyStopping: z.preprocess(
		value => (value === false ? null : value),
		z
			.strictObject(
				{
					monitor: enumOf('monitor', OBJECTIVES).default(DEFAULT_EARLY_STOPPING.monitor),
					patience: intIn(1, 1000, ' (epochs without improvement before stopping)').default(DEFAULT_EARLY_STOPPING.patience),
					minDelta: minDeltaSchema.default(DEFAULT_EARLY_STOPPING.minDelta),
					restoreBest: z.boolean({error: typeError('true or false')}).default(DEFAULT_EARLY_STOPPING.restoreBest),
				},
				{error: typeError('null, false, or a mapping such as {monitor: val_loss, patience: 3}')},
			)
			.nullable(),
	),
	standardize: enumOf('standardize mode', STANDARDIZE_MODES),
	lrSchedule: lrScheduleSchema,
	weightDecay: fractionBelowOne('a weight decay', '0.0001 (L2) or 0.01 (decoupled)'),
	weightDecayMode: enumOf('weight decay mode', WEIGHT_DECAY_MODES),
	labelSmoothing: fractionBelowOne('a label smoothing', '0.1'),
	augment: augmentSchema,
	globalPool: z.boolean({error: typeError('true or false')}),
} satisfies {[K in keyof TrialConfig]: z.ZodType<TrialConfig[K], unknown>};

/** A complete TrialConfig, strict: for callers that receive configs from outside (a database, a message). */
export const trialConfigSchema = z.strictObject(configValueSchemas);

export const partialConfigSchema = z.strictObject(
	{
	model: configValueSchemas.model.optional(),
	hidden: configValueSchemas.hidden.optional(),
	conv: configValueSchemas.conv.optional(),
	kernelSize: configValueSchemas.kernelSize.optional(),
	activation: configValueSchemas.activation.optional(),
	optimizer: configValueSchemas.optimizer.optional(),
	learningRate: configValueSchemas.learningRate.optional(),
	loss: configValueSchemas.loss.optional(),
	batchSize: configValueSchemas.batchSize.optional(),
	epochs: configValueSchemas.epochs.optional(),
	dropout: configValueSchemas.dropout.optional(),
	batchNorm: configValueSchemas.batchNorm.optional(),
	earlyStopping: configValueSchemas.earlyStopping.optional(),
	standardize: configValueSchemas.standardize.optional(),
	lrSchedule: configValueSchemas.lrSchedule.optional(),
	weightDecay: configValueSchemas.weightDecay.optional(),
	weightDecayMode: configValueSchemas.weightDecayMode.optional(),
	labelSmoothing: configValueSchemas.labelSmoothing.optional(),
	augment: configValueSchemas.augment.optional(),
	globalPool: configValueSchemas.globalPool.optional(),
},
	{error: typeError('a mapping of trial settings such as {epochs: 10, hidden: [64]}')},
);

export const FLOAT_KEYS: ReadonlySet<string> = new Set(['learningRate', 'dropout', 'weightDecay', 'labelSmoothing']);
export const INT_KEYS: ReadonlySet<string> = new Set(['batchSize', 'epochs']);
export const EXAMPLE_LISTS: Record<keyof TrialConfig, string> = {
	model: '[mlp, cnn]',
	hidden: '[[64], [128, 64]]',
	conv: '[[16], [16, 32]]',
	kernelSize: '[3, 5]',
	activation: '[relu, tanh]',
	optimizer: '[adam, sgd]',
	learningRate: '[0.001, 0.01]',
	loss: '[sparseCategoricalCrossentropy, meanSquaredError]',
	batchSize: '[32, 128]',
	epochs: '[10, 20]',
	dropout: '[0, 0.2]',
	batchNorm: '[false, true]',
	earlyStopping: '[null, {patience: 3}]',
	standardize: '[none, per-pixel]',
	lrSchedule: '[null, {kind: cosine, warmupEpochs: 1}]',
	weightDecay: '[0, 0.0001]',
	weightDecayMode: '[decoupled, l2]',
	labelSmoothing: '[0, 0.1]',
	augment: '[null, {translate: 2, flip: true}]',
	globalPool: '[false, true]',
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

