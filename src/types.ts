/**
 * Record types shared along the chain sweep file -> trial configs -> pool -> worker -> store -> report.
 * Each module owns its own internal types; only what crosses module boundaries lives here.
 */

export const MODELS = ['mlp', 'cnn'] as const;
export const ACTIVATIONS = [
	'relu',
	'sigmoid',
	'tanh',
	'leakyRelu',
	'elu',
	'selu',
	'softplus',
	'softsign',
	'swish',
	'gelu',
	'linear',
] as const;
/** adadelta is left out on purpose: tfjs 4.22's update reads the accumulator before updating it (x does not move). */
export const OPTIMIZERS = ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adamax'] as const;
/** Labels are class indices; every loss is computed against the softmax of the logits (cross-entropy stably from the logits). */
export const LOSSES = ['sparseCategoricalCrossentropy', 'meanSquaredError', 'categoricalHinge'] as const;
export const DATASETS = ['fashion-mnist', 'fashion-mnist-mini'] as const;
export const BACKENDS = ['node', 'wasm', 'cpu'] as const;

export type ModelKind = (typeof MODELS)[number];
export type Activation = (typeof ACTIVATIONS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type LossName = (typeof LOSSES)[number];
export type DatasetName = (typeof DATASETS)[number];
export type BackendName = (typeof BACKENDS)[number];

/**
 * A minDelta relative to the best value so far: `'1%'` asks an epoch to beat the best by more than 1% of it. Losses
 * differ in scale (mean squared error near 0.02, cross-entropy near 0.3), so an absolute delta that suits one is 20
 * times too strict or too lax for the other; a relative one means the same for both.
 */
export type RelativeDelta = `${number}%`;

/** Stop a trial when its monitored validation metric has not improved by minDelta for `patience` epochs. */
export interface EarlyStopping {
	monitor: 'val_loss' | 'val_accuracy';
	patience: number;
	/** The smallest improvement that counts: an absolute amount of the monitored metric, or a RelativeDelta. */
	minDelta: number | RelativeDelta;
	/** Evaluate the test set with the weights of the best epoch rather than the last. */
	restoreBest: boolean;
}

export const DEFAULT_EARLY_STOPPING: EarlyStopping = {monitor: 'val_loss', patience: 3, minDelta: 0.001, restoreBest: true};

/** How inputs are standardised, with the mean and standard deviation of the training split only (data/standardize.ts). */
export const STANDARDIZE_MODES = ['none', 'global', 'per-pixel'] as const;
export type StandardizeMode = (typeof STANDARDIZE_MODES)[number];

/**
 * A learning-rate schedule over the configured learningRate (math/schedules.ts). cosine: linear warm-up per step
 * over warmupEpochs, then cosine decay per step to 0 at the last step; step: times gamma every stepEpochs epochs;
 * plateau: times factor (not below minLr) after `patience` epochs without a better validation loss.
 */
export type LrSchedule =
	| {kind: 'cosine'; warmupEpochs: number}
	| {kind: 'step'; stepEpochs: number; gamma: number}
	| {kind: 'plateau'; patience: number; factor: number; minLr: number};
export const LR_SCHEDULE_KINDS = ['cosine', 'step', 'plateau'] as const;

/** decoupled: AdamW's p -= lr wd p before each step; l2: wd p added to the gradient. */
export const WEIGHT_DECAY_MODES = ['decoupled', 'l2'] as const;
export type WeightDecayMode = (typeof WEIGHT_DECAY_MODES)[number];

/** Training batches only: a random shift of up to `translate` pixels each way (zero fill) and, with `flip`, a left-right mirror half the time. */
export interface Augment {
	translate: number;
	flip: boolean;
}

/** Everything that decides how one trial trains. Plain data; validated once when the sweep file loads. */
export type TrialConfig = {
	/** `mlp`: Flatten -> Dense(hidden...) -> Dense(10). `cnn`: [Conv(conv[i]) -> MaxPool(2)]... -> Flatten -> Dense(hidden...) -> Dense(10). */
	model: ModelKind;
	/** Units per hidden Dense layer, in order. May be empty (a linear softmax classifier). */
	hidden: number[];
	/** `cnn` only: filters per conv layer; each conv (same padding) is followed by 2x2 max pooling. */
	conv: number[];
	/** `cnn` only: square kernel size of every conv layer. */
	kernelSize: number;
	activation: Activation;
	optimizer: OptimizerName;
	learningRate: number;
	loss: LossName;
	batchSize: number;
	epochs: number;
	/** Dropout rate after every hidden Dense layer; 0 turns it off. */
	dropout: number;
	/** Batch normalisation after every hidden Dense (and conv) layer, before the activation. */
	batchNorm: boolean;
	/** null: train all `epochs`. Config hashes leave a null out, so configs hashed before this key existed keep their hash. */
	earlyStopping: EarlyStopping | null;
	/*
	 * Keys added after the study's first databases: at their defaults configHash leaves them out
	 * (sweep/hash.ts, HASH_NEUTRAL_KEYS), so stored configs keep their hashes.
	 */
	standardize: StandardizeMode;
	/** null: a constant learning rate. */
	lrSchedule: LrSchedule | null;
	/** 0 turns weight decay off; it applies to every trainable weight (biases and batch-norm gamma and beta too, as PyTorch's default). */
	weightDecay: number;
	weightDecayMode: WeightDecayMode;
	/** Cross-entropy only: the training targets become (1 - s) one-hot + s / classes; validation and test losses stay unsmoothed. */
	labelSmoothing: number;
	augment: Augment | null;
	/** `cnn` only: global average pooling replaces Flatten after the last conv block. */
	globalPool: boolean;
};

/** Defaults of every config key: the seed model of the study (64-64 relu, Adam 1e-3, batch 32). */
export const DEFAULT_TRIAL_CONFIG: TrialConfig = {
	model: 'mlp',
	hidden: [64, 64],
	conv: [16, 32],
	kernelSize: 3,
	activation: 'relu',
	optimizer: 'adam',
	learningRate: 0.001,
	loss: 'sparseCategoricalCrossentropy',
	batchSize: 32,
	epochs: 10,
	dropout: 0,
	batchNorm: false,
	earlyStopping: null,
	standardize: 'none',
	lrSchedule: null,
	weightDecay: 0,
	weightDecayMode: 'decoupled',
	labelSmoothing: 0,
	augment: null,
	globalPool: false,
};

export interface DatasetSpec {
	name: DatasetName;
	/** Use at most this many training images (the first N after the fixed class-balanced order of the files). */
	trainLimit?: number;
	testLimit?: number;
	/** Fraction of the (limited) training set held out for model selection, or 'test' to validate on the test set. */
	validation: number | 'test';
}

/**
 * When a parameter applies: each named parameter (itself active) must take one of the listed values (matched by
 * canonical JSON). A parameter whose condition fails is left out of the trial's config (src/sweep/conditions.ts).
 */
export type ParameterCondition = Record<string, unknown[]>;

/** A sampled or enumerated value space for one config key, with the condition under which it applies (none: always). */
export type ParameterSpec = (
	| {kind: 'values'; values: unknown[]}
	| {kind: 'uniform'; min: number; max: number}
	| {kind: 'log-uniform'; min: number; max: number}
	| {kind: 'int-uniform'; min: number; max: number}
	| {kind: 'log-int-uniform'; min: number; max: number}
) & {when?: ParameterCondition};

export const OBJECTIVES = ['val_accuracy', 'val_loss'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const GOALS = ['maximize', 'minimize'] as const;
export type Goal = (typeof GOALS)[number];

/** What a sweep ranks, prunes and optimises by: one metric its trials report, and which way is better. */
export interface MetricSpec {
	name: string;
	goal: Goal;
}

export const DEFAULT_METRIC: MetricSpec = {name: 'val_accuracy', goal: 'maximize'};

/**
 * What a multi-objective sweep may name besides the metrics its trials report: costs read off the trial itself.
 * train_seconds: the trial's training and validation seconds; seconds_per_epoch: that over its epochs (steps);
 * params: the built-in model's parameter count. All three are minimised in any sensible sweep, but the goal is the file's.
 */
export const COST_OBJECTIVES = ['train_seconds', 'seconds_per_epoch', 'params'] as const;
export type CostObjective = (typeof COST_OBJECTIVES)[number];
export const isCostObjective = (name: string): name is CostObjective => (COST_OBJECTIVES as readonly string[]).includes(name);

/**
 * A trial's parameters: for built-in sweeps a complete TrialConfig, for program sweeps whatever names the sweep
 * file gives (free-form, passed to the program or module as they are).
 */
export type TrialParams = Record<string, unknown>;

/**
 * What a program sweep runs per trial: a command (any language; `${args}` expands to the parameters) or a
 * JavaScript module whose default export is the objective, run in the pool's threads. Paths are as written in
 * the sweep file, relative to its folder (resolved when the sweep runs, so the definition hash does not depend
 * on where the checkout lives).
 */
export type ProgramDefinition =
	| {command: string[]; cwd?: string; env?: Record<string, string>}
	| {module: string};

export const PRUNER_KINDS = ['median', 'asha', 'hyperband', 'pareto'] as const;

/**
 * How a one-metric pruner judges a multi-objective sweep: a weighted sum of the objectives, each scaled to [0, 1]
 * over the trials it compares (src/pruners/scalarized.ts). One weight per objective, in the order of `objectives`.
 */
export interface Scalarization {
	weights: number[];
}

/** Stops unpromising trials across a sweep (defaults and checks in src/sweep/pruner-spec.ts, decisions in src/pruners/). */
export type PrunerSpec =
	| {kind: 'median'; warmupEpochs: number; minTrials: number; scalarize?: Scalarization}
	| {kind: 'asha'; minEpochs: number; maxEpochs: number; reductionFactor: number; scalarize?: Scalarization}
	| {kind: 'hyperband'; minEpochs: number; maxEpochs: number; reductionFactor: number; scalarize?: Scalarization}
	| {kind: 'pareto'; warmupEpochs: number; minTrials: number};

/**
 * When a running trial's state is checkpointed: after every `everyEpochs`-th epoch, and after any epoch that
 * ends `everySeconds` or more after the last checkpoint (or the trial's start). Either alone works; with both,
 * whichever comes first.
 */
export interface CheckpointPolicy {
	everyEpochs?: number;
	everySeconds?: number;
}

/** Without a `checkpoint:` key: every epoch for trials whose epochs take 3 s or more, every few epochs for quicker ones. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {everySeconds: 3};

/** A validated sweep file. `base` is complete (defaults filled in); `parameters` keys are TrialConfig keys. */
export interface SweepDefinition {
	name: string;
	question?: string;
	/**
	 * grid and random expand up front; tpe suggests each trial from the finished ones (Optuna's default sampler;
	 * with `objectives`, its MOTPE); nsga2 (multi-objective only) evolves a population (Optuna's NSGAIISampler).
	 */
	method: 'grid' | 'random' | 'tpe' | 'nsga2';
	seed: number;
	repeats: number;
	/** Number of sampled configs; required for `random` and `tpe`, absent for `grid`. */
	trials?: number;
	/** tpe: how many trials are sampled at random before the estimator takes over (default 10). */
	startupTrials?: number;
	/**
	 * tpe: joint estimators over the parameters rather than one per parameter. Absent, single-objective TPE is
	 * multivariate (sweeplab's estimators) and multi-objective TPE is not (Optuna's default); see samplers/tpe.ts.
	 */
	multivariate?: boolean;
	/** The older spelling of `metric` for built-in sweeps: val_accuracy (maximize) or val_loss (minimize). */
	objective?: Objective;
	/** What reports rank by and pruners and tpe optimise; absent: the objective's, else val_accuracy maximize (see sweepMetric). */
	metric?: MetricSpec;
	/**
	 * A multi-objective sweep (2 or 3; the file gives no objective or metric): reported metrics and COST_OBJECTIVES.
	 * The sampler searches their Pareto front, `best` shows it; the first reported metric among them is the sweep's
	 * metric, which the schema also writes as `metric` so that the SQL views (sweep_metric) rank by it.
	 */
	objectives?: MetricSpec[];
	/** A program sweep: the user's code instead of the built-in trainer; `base` and `parameters` then have free-form names. */
	program?: ProgramDefinition;
	pruner?: PrunerSpec;
	/** Built-in sweeps only: program sweeps load their own data. */
	dataset?: DatasetSpec;
	/** Built-in sweeps: a complete TrialConfig; program sweeps: the fixed parameters as given. */
	base: TrialParams;
	parameters: Record<string, ParameterSpec>;
	/** Per-trial wall-time limit; a trial past it stops as `timeout`. A run policy: not part of the definition hash. */
	timeoutMinutes?: number;
	/** When running trials are checkpointed (false: never; absent: DEFAULT_CHECKPOINT_POLICY). A run policy: not hashed. */
	checkpoint?: CheckpointPolicy | false;
	/** Keep each finished trial's final weights (the best epoch's with restoreBest) for `sweeplab export --weights`. Not hashed. */
	keepBestWeights?: boolean;
}

/**
 * The metric a sweep ranks by: its `metric`, else what its `objective` names, else the first of its `objectives`
 * that the trials report (the schema requires one), else val_accuracy maximize.
 */
export function sweepMetric(definition: Pick<SweepDefinition, 'metric' | 'objective' | 'objectives'>): MetricSpec {
	if (definition.metric) {
		return definition.metric;
	}

	const reported = definition.objectives?.find(objective => !isCostObjective(objective.name));
	if (reported) {
		return reported;
	}

	return definition.objective === 'val_loss' ? {name: 'val_loss', goal: 'minimize'} : DEFAULT_METRIC;
}

/** What a sweep optimises: its `objectives`, else its one metric. */
export function sweepObjectives(definition: Pick<SweepDefinition, 'metric' | 'objective' | 'objectives'>): MetricSpec[] {
	return definition.objectives ?? [sweepMetric(definition)];
}

/** Methods whose trials a sampler suggests one at a time during the run (nothing is expanded up front). */
export const isSuggestedMethod = (method: SweepDefinition['method']): boolean => method === 'tpe' || method === 'nsga2';

/**
 * A built-in sweep's config or base as the trainer needs it (program sweeps have no TrialConfig): keys a stored config
 * lacks because it was stored before they existed (sweep/hash.ts, HASH_NEUTRAL_KEYS) take their defaults.
 */
export const builtinConfig = (params: TrialParams): TrialConfig => ({...DEFAULT_TRIAL_CONFIG, ...params}) as TrialConfig;

/** One trial to train: a config, its stable hash, which repeat, and the seed derived for that repeat. */
export interface TrialSpec {
	/** Position in the expansion order (0-based); trials are claimed in this order. */
	ordinal: number;
	config: TrialParams;
	/** sha256 (hex, 16 chars) of the canonical config; the same config in a sweep is trained once per repeat. */
	configHash: string;
	repeat: number;
	seed: number;
}

/** One finished epoch, as the worker streams it. Metrics may be NaN or Infinity when training diverges. */
export interface EpochRecord {
	/** 1-based. */
	epoch: number;
	loss: number;
	accuracy: number;
	valLoss: number;
	valAccuracy: number;
	/** Wall seconds of this epoch's training and validation. */
	seconds: number;
}

/**
 * One reported step of a trial as the store keeps it, whatever ran it: any numeric metrics by name (NaN and
 * +/-Infinity kept as such). The built-in trainer's epochs are steps with loss, accuracy, val_loss, val_accuracy.
 */
export interface StepRecord {
	/** 1-based, strictly increasing within a trial. */
	step: number;
	metrics: Record<string, number>;
	/** Wall seconds of the step, when known. */
	seconds?: number;
}

/** The built-in trainer's epoch as a step, its metrics named as programs name them. */
export function epochStep(record: EpochRecord): StepRecord {
	return {
		step: record.epoch,
		metrics: {loss: record.loss, accuracy: record.accuracy, val_loss: record.valLoss, val_accuracy: record.valAccuracy},
		seconds: record.seconds,
	};
}

/** A step read as a built-in epoch; a metric the step lacks reads as NaN. */
export function stepEpoch(step: StepRecord): EpochRecord {
	const metric = (name: string) => step.metrics[name] ?? Number.NaN;
	return {
		epoch: step.step,
		loss: metric('loss'),
		accuracy: metric('accuracy'),
		valLoss: metric('val_loss'),
		valAccuracy: metric('val_accuracy'),
		seconds: step.seconds ?? Number.NaN,
	};
}

export const TRIAL_STATES = [
	'pending',
	'running',
	'completed',
	'failed',
	'diverged',
	'pruned',
	'interrupted',
	'timeout',
] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

/** States after which a trial is never modified again. */
export const FINISHED_STATES: readonly TrialState[] = ['completed', 'failed', 'diverged', 'pruned', 'timeout'];

/** A trial still to train: waiting, being trained, or interrupted (claimable again). */
export function isUnfinished(state: TrialState): boolean {
	return state === 'pending' || state === 'running' || state === 'interrupted';
}

/** How a trial ended, as the orchestrator hands it to the store. */
export interface TrialOutcome {
	state: Exclude<TrialState, 'pending' | 'running'>;
	/** Final metrics reported without a step (the built-in trainer's test_loss and test_accuracy). */
	metrics?: Record<string, number>;
	/** Wall seconds spent training and validating (excludes the final test evaluation). */
	trainSeconds?: number;
	/** For failed/diverged/interrupted/timeout: what happened, one line. */
	error?: string;
	/** For pruned trials and trials ended by early stopping: why, one line. */
	stopReason?: string;
	/** Program trials: the file their output went to. */
	logPath?: string;
}
