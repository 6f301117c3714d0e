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

/** Stop a trial when its monitored validation metric has not improved by minDelta for `patience` epochs. */
export interface EarlyStopping {
	monitor: 'val_loss' | 'val_accuracy';
	patience: number;
	minDelta: number;
	/** Evaluate the test set with the weights of the best epoch rather than the last. */
	restoreBest: boolean;
}

export const DEFAULT_EARLY_STOPPING: EarlyStopping = {monitor: 'val_loss', patience: 3, minDelta: 0.001, restoreBest: true};

/** Everything that decides how one trial trains. Plain data; validated once when the sweep file loads. */
export interface TrialConfig {
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
}

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
};

export interface DatasetSpec {
	name: DatasetName;
	/** Use at most this many training images (the first N after the fixed class-balanced order of the files). */
	trainLimit?: number;
	testLimit?: number;
	/** Fraction of the (limited) training set held out for model selection, or 'test' to validate on the test set. */
	validation: number | 'test';
}

/** A sampled or enumerated value space for one config key. */
export type ParameterSpec =
	| {kind: 'values'; values: unknown[]}
	| {kind: 'uniform'; min: number; max: number}
	| {kind: 'log-uniform'; min: number; max: number}
	| {kind: 'int-uniform'; min: number; max: number}
	| {kind: 'log-int-uniform'; min: number; max: number};

export const OBJECTIVES = ['val_accuracy', 'val_loss'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const PRUNER_KINDS = ['median', 'asha', 'pareto'] as const;

/** Stops unpromising trials across a sweep (defaults and checks in src/sweep/pruner-spec.ts, decisions in src/pruners/). */
export type PrunerSpec =
	| {kind: 'median'; warmupEpochs: number; minTrials: number}
	| {kind: 'asha'; minEpochs: number; maxEpochs: number; reductionFactor: number}
	| {kind: 'pareto'; warmupEpochs: number; minTrials: number};

/** A validated sweep file. `base` is complete (defaults filled in); `parameters` keys are TrialConfig keys. */
export interface SweepDefinition {
	name: string;
	question?: string;
	/** grid and random expand up front; tpe suggests each trial from the finished ones (Optuna's default sampler). */
	method: 'grid' | 'random' | 'tpe';
	seed: number;
	repeats: number;
	/** Number of sampled configs; required for `random` and `tpe`, absent for `grid`. */
	trials?: number;
	/** tpe: how many trials are sampled at random before the estimator takes over (default 10). */
	startupTrials?: number;
	/** What tpe optimises: best validation accuracy (the default when absent) or lowest validation loss. */
	objective?: Objective;
	pruner?: PrunerSpec;
	dataset: DatasetSpec;
	base: TrialConfig;
	parameters: Record<string, ParameterSpec>;
	/** Per-trial wall-time limit; a trial past it stops as `timeout`. A run policy: not part of the definition hash. */
	timeoutMinutes?: number;
}

/** One trial to train: a config, its stable hash, which repeat, and the seed derived for that repeat. */
export interface TrialSpec {
	/** Position in the expansion order (0-based); trials are claimed in this order. */
	ordinal: number;
	config: TrialConfig;
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
	testLoss?: number;
	testAccuracy?: number;
	/** Wall seconds spent training and validating (excludes the final test evaluation). */
	trainSeconds?: number;
	/** For failed/diverged/interrupted/timeout: what happened, one line. */
	error?: string;
	/** For pruned trials and trials ended by early stopping: why, one line. */
	stopReason?: string;
}
