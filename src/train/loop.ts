import type {SplitData} from '../data/load.js';
import {TrainingError} from '../errors.js';
import type {EarlyStopping, EpochRecord, TrialConfig} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Tf} from './backend.js';
import type {ModelShape} from './model.js';
import {LayersTrainer} from './paths/layers.js';
import {LeanMlp, leanCovers} from './paths/lean.js';
import {SimdNet, simdCovers} from './paths/simd.js';
import type {Trainer, TrainingPath, WeightsSnapshot} from './trainer.js';

export interface TrainInput {
	config: TrialConfig;
	seed: number;
	data: SplitData;
	shape: ModelShape;
	/** Force a training path (benchmarks, tests); by default the first of simd, lean, layers that covers the config. */
	path?: TrainingPath;
}

export interface TrainHooks {
	/** Called once the model is built, before the first epoch. */
	onStart?(info: {paramCount: number; trainingPath: string}): void;
	/** Called after every epoch, in order; a trial's epochs are streamed through it. */
	onEpoch(record: EpochRecord): void;
	/** Polled between epochs: a reason string stops training after the current epoch. */
	shouldStop?(): string | undefined;
	/**
	 * Awaited after every epoch when given: a pruner's verdict on the epoch just streamed. A reason string
	 * ends the trial as `pruned` before another epoch is spent on it.
	 */
	afterEpoch?(record: EpochRecord): Promise<string | undefined>;
}

export interface TrainResult {
	state: 'completed' | 'diverged' | 'interrupted' | 'pruned';
	epochsRun: number;
	/** Wall seconds of all epochs (training plus validation), without the test evaluation. */
	trainSeconds: number;
	testLoss?: number;
	testAccuracy?: number;
	/** Why training ended early (diverged or interrupted). */
	error?: string;
	/** Why a trial stopped before its last epoch without failing: early stopping or a pruner. */
	stopReason?: string;
}

/** The paths, fastest first; `limit` says what a path needs, for the error when one is forced where it cannot run. */
const PATHS: Array<{path: TrainingPath; covers(config: TrialConfig): boolean; limit: string}> = [
	{path: 'simd', covers: simdCovers, limit: 'needs WebAssembly SIMD, which this runtime lacks'},
	{path: 'lean', covers: leanCovers, limit: 'covers model \'mlp\' only'},
	{path: 'layers', covers: () => true, limit: ''},
];

/** The fastest path that covers the config: the one a trial takes unless a path is forced. */
export function trainingPathFor(config: TrialConfig): TrainingPath {
	return PATHS.find(candidate => candidate.covers(config))!.path;
}

/** The trainer of `path`, or of the fastest path that covers the config. */
export function makeTrainer(tf: Tf, config: TrialConfig, shape: ModelShape, seed: number, path?: TrainingPath): Trainer {
	const chosen = path ?? trainingPathFor(config);
	const candidate = PATHS.find(entry => entry.path === chosen)!;
	if (!candidate.covers(config)) {
		throw new TrainingError(`the ${chosen} training path does not cover this config (model '${config.model}'): it ${candidate.limit}; leave the path to trainTrial or ask for 'layers'`);
	}

	switch (chosen) {
		case 'simd': {
			return new SimdNet(tf, config, shape, seed);
		}

		case 'lean': {
			return new LeanMlp(tf, config, shape, seed);
		}

		case 'layers': {
			return new LayersTrainer(tf, config, shape, seed);
		}
	}
}

/**
 * Train one trial: seeded initialisation, seeded shuffling every epoch, mini-batches copied straight
 * from the shared pixel arrays, loss and accuracy accumulated on the backend and read once per epoch
 * (a per-batch read forces a sync). Every network takes the SIMD path (paths/simd.ts) where WebAssembly SIMD
 * runs; elsewhere MLPs take the lean path (paths/lean.ts) and CNNs Keras-style layers (paths/layers.ts). onStart reports which.
 * Stops as `diverged` at the first epoch whose training or validation loss is not finite.
 */
export async function trainTrial(tf: Tf, input: TrainInput, hooks: TrainHooks): Promise<TrainResult> {
	const {config, seed, data, shape} = input;
	const trainer = makeTrainer(tf, config, shape, seed, input.path);
	hooks.onStart?.({paramCount: trainer.paramCount, trainingPath: trainer.trainingPath});
	const dim = data.train.x.length / data.train.n;
	const batchX = trainer.batchInput?.() ?? new Float32Array(config.batchSize * dim);
	const batchY = new Int32Array(config.batchSize);
	const order = new Uint32Array(data.train.n);
	let trainSeconds = 0;
	let epochsRun = 0;
	const stopping = new EarlyStopper(config.earlyStopping, trainer);
	try {
		for (let epoch = 1; epoch <= config.epochs; epoch++) {
			const stopReason = hooks.shouldStop?.();
			if (stopReason) {
				return {state: 'interrupted', epochsRun, trainSeconds, error: stopReason};
			}

			const started = performance.now();
			for (let i = 0; i < order.length; i++) {
				order[i] = i;
			}

			createRng(deriveSeed(seed, 'shuffle', epoch)).shuffle(order);
			for (let start = 0; start < order.length; start += config.batchSize) {
				const rows = Math.min(config.batchSize, order.length - start);
				for (let i = 0; i < rows; i++) {
					const index = order[start + i];
					batchX.set(data.train.x.subarray(index * dim, (index + 1) * dim), i * dim);
					batchY[i] = data.train.y[index];
				}

				trainer.trainBatch(batchX, batchY, rows);
			}

			const sums = trainer.takeSums();
			const [loss, correct] = [sums.loss / order.length, sums.correct];
			const validation = trainer.evaluate(data.validation);
			const seconds = (performance.now() - started) / 1000;
			trainSeconds += seconds;
			epochsRun = epoch;
			const record: EpochRecord = {
				epoch,
				loss,
				accuracy: correct / order.length,
				valLoss: validation.loss,
				valAccuracy: validation.accuracy,
				seconds,
			};
			hooks.onEpoch(record);
			if (!Number.isFinite(loss) || !Number.isFinite(validation.loss)) {
				return {state: 'diverged', epochsRun, trainSeconds, error: `loss became ${Number.isFinite(loss) ? validation.loss : loss} at epoch ${epoch}`};
			}

			const pruned = await hooks.afterEpoch?.(record);
			if (pruned) {
				return {state: 'pruned', epochsRun, trainSeconds, stopReason: pruned};
			}

			if (stopping.observe(record)) {
				break;
			}

			// Let the worker's message port deliver a stop request between epochs.
			await new Promise(resolve => {
				setImmediate(resolve);
			});
		}

		stopping.restoreBest();
		const test = trainer.evaluate(data.test);
		return {state: 'completed', epochsRun, trainSeconds, testLoss: test.loss, testAccuracy: test.accuracy, ...(stopping.reason && {stopReason: stopping.reason})};
	} finally {
		stopping.dispose();
		trainer.dispose();
	}
}

/**
 * Keras' EarlyStopping: an epoch improves on the best when its monitored value is better by more than
 * minDelta; after `patience` epochs without improvement training stops. With restoreBest the weights of
 * the best epoch are put back before the test evaluation.
 */
export class EarlyStopper {
	reason: string | undefined;
	private best: number | undefined;
	private bestEpoch = 0;
	private saved: WeightsSnapshot | undefined;

	constructor(private readonly settings: EarlyStopping | null, private readonly trainer: Trainer) {}

	/** Record an epoch; true when training should stop after it. */
	observe(record: EpochRecord): boolean {
		const settings = this.settings;
		if (!settings) {
			return false;
		}

		const value = settings.monitor === 'val_loss' ? record.valLoss : record.valAccuracy;
		const improved = this.best === undefined
			|| (settings.monitor === 'val_loss' ? value < this.best - settings.minDelta : value > this.best + settings.minDelta);
		if (improved) {
			this.best = value;
			this.bestEpoch = record.epoch;
			if (settings.restoreBest) {
				this.saved?.dispose();
				this.saved = this.trainer.snapshot();
			}

			return false;
		}

		if (record.epoch - this.bestEpoch < settings.patience) {
			return false;
		}

		this.reason = `early stopping at epoch ${record.epoch}: ${settings.monitor} did not improve by more than ${settings.minDelta} for ${settings.patience} epochs (best ${this.best!.toFixed(4)} at epoch ${this.bestEpoch}${settings.restoreBest ? ', restored' : ''})`;
		return true;
	}

	/** Put the best epoch's weights back, when asked to and training stopped or ran out past the best epoch. */
	restoreBest(): void {
		this.saved?.restore();
	}

	dispose(): void {
		this.saved?.dispose();
		this.saved = undefined;
	}
}
