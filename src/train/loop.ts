import type {ImageSet, SplitData} from '../data/load.js';
import {fitStandardizer, standardizedSet, type Standardizer, standardizeRows} from '../data/standardize.js';
import {TrainingError} from '../errors.js';
import type {CheckpointPolicy, EarlyStopping, EpochRecord, TrialConfig} from '../types.js';
import {createRng, deriveSeed, type Rng} from '../util/random.js';
import {Augmenter} from './augment.js';
import {absoluteDelta, improves} from './early-stopping.js';
import type {Tf} from './backend.js';
import {CheckpointError, checkpointsDue, decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, type StateReader, StateWriter, trialIdentity} from './checkpoint.js';
import {choosePath, type PathCapability} from './choose.js';
import {LearningRateSchedule} from './math/schedules.js';
import type {ModelShape} from './model.js';
import {LayersTrainer} from './paths/layers.js';
import {LeanMlp, leanCovers} from './paths/lean.js';
import {SimdNet, simdCovers, simdFmaCovers} from './paths/simd.js';
import type {Trainer, TrainingPath, WeightsSnapshot} from './trainer.js';

export interface TrainInput {
	config: TrialConfig;
	seed: number;
	data: SplitData;
	shape: ModelShape;
	/**
	 * Force a training path (benchmarks, tests); by default the path `resume` was written on where it covers the
	 * config here, else the first of simd-fma, simd, lean, layers that does.
	 */
	path?: TrainingPath;
	/**
	 * A checkpoint of this trial (from onCheckpoint) to continue from: training resumes after its epoch, on the path
	 * it was written on, and ends with the same bits as an uninterrupted run. One that is damaged, of another trial
	 * or of a path this runtime lacks (simd-fma without relaxed SIMD) is ignored with a warning (onWarning) and the
	 * trial starts from scratch on the path that covers it here, which onStart reports.
	 */
	resume?: Uint8Array;
	/**
	 * With a path not forced nor resumed: what this thread can train on and how fast (choose.ts measureCapability),
	 * to choose between the SIMD kernels and tfjs-node's (choosePath). Absent: the first path that covers the config.
	 */
	capability?: PathCapability;
	/** When to hand onCheckpoint a checkpoint; absent: never. */
	checkpoint?: CheckpointPolicy;
	/** Return the final weights (the best epoch's with restoreBest) in the result, for export. */
	keepWeights?: boolean;
}


export interface TrainHooks {
	/** Called once the model is built (and restored from `resume`, when it could be: resumedFrom is then its epoch), before the first epoch. */
	onStart?(info: {paramCount: number; trainingPath: string; convAlgorithms?: string[]; resumedFrom?: number}): void;
	/** Called after every epoch, in order; a trial's epochs are streamed through it. */
	onEpoch(record: EpochRecord): void;
	/** Polled between epochs: a reason string stops training after the current epoch. */
	shouldStop?(): string | undefined;
	/**
	 * Awaited after every epoch when given: a pruner's verdict on the epoch just streamed. A reason string
	 * ends the trial as `pruned` before another epoch is spent on it.
	 */
	afterEpoch?(record: EpochRecord): Promise<string | undefined>;
	/** A checkpoint after `epoch` (the policy's epochs only), called after that epoch's onEpoch. The bytes are the caller's. */
	onCheckpoint?(checkpoint: {epoch: number; bytes: Uint8Array; seconds: number}): void;
	/** Something went wrong that training survives (a checkpoint that cannot be resumed from): one line. */
	onWarning?(message: string): void;
}

export interface TrainResult {
	state: 'completed' | 'diverged' | 'interrupted' | 'pruned';
	epochsRun: number;
	/** Wall seconds of all epochs (training plus validation), without the test evaluation. */
	trainSeconds: number;
	testLoss?: number;
	testAccuracy?: number;
	/**
	 * The epoch whose weights testLoss and testAccuracy are of: the last one trained, or the best one when early
	 * stopping restored it. Reports pair the test numbers with that epoch's validation numbers.
	 */
	testEpoch?: number;
	/** Why training ended early (diverged or interrupted). */
	error?: string;
	/** Why a trial stopped before its last epoch without failing: early stopping or a pruner. */
	stopReason?: string;
	/** The epoch of the checkpoint training continued from. */
	resumedFrom?: number;
	/** With keepWeights: the weights the test evaluation used, in the Keras-style model's getWeights() order. */
	weights?: Float32Array[];
	/** With keepWeights: the epoch those weights are from (the best one when early stopping restored it). */
	weightsEpoch?: number;
}

/** The paths, fastest first; `limit` says what a path needs, for the error when one is forced where it cannot run. */
const PATHS: Array<{path: TrainingPath; covers(config: TrialConfig): boolean; limit: string}> = [
	{path: 'simd-fma', covers: simdFmaCovers, limit: 'needs relaxed WebAssembly SIMD whose multiply-add fuses, which this runtime lacks'},
	{path: 'simd', covers: simdCovers, limit: 'needs WebAssembly SIMD, which this runtime lacks'},
	{path: 'lean', covers: leanCovers, limit: 'covers model \'mlp\' only'},
	{path: 'layers', covers: () => true, limit: ''},
];

/** The fastest path that covers the config: the one a trial takes unless a path is forced. */
export function trainingPathFor(config: TrialConfig): TrainingPath {
	return PATHS.find(candidate => candidate.covers(config))!.path;
}

/** The path a checkpoint was written on, where it covers the config here: a resumed trial keeps its arithmetic. */
function resumePath(input: TrainInput): TrainingPath | undefined {
	if (!input.resume) {
		return undefined;
	}

	try {
		// A module objective's checkpoint names no training path: decodeCheckpoint refuses it when the trainer restores.
		const {trainingPath} = readCheckpointHeader(input.resume);
		const candidate = PATHS.find(entry => entry.path === trainingPath);
		return candidate?.covers(input.config) ? candidate.path : undefined;
	} catch (error) {
		// decodeCheckpoint reports the damage when the trainer tries to restore.
		if (error instanceof CheckpointError) {
			return undefined;
		}

		throw error;
	}
}

/**
 * The trainer of `path`, or of the fastest path that covers the config. `train`, where given, is the training set the
 * trainer's gatherBatch may gather from.
 */
export function makeTrainer(tf: Tf, config: TrialConfig, shape: ModelShape, seed: number, path?: TrainingPath, train?: ImageSet): Trainer {
	const chosen = path ?? trainingPathFor(config);
	const candidate = PATHS.find(entry => entry.path === chosen)!;
	if (!candidate.covers(config)) {
		throw new TrainingError(`the ${chosen} training path does not cover this config (model '${config.model}'): it ${candidate.limit}; leave the path to trainTrial or ask for 'layers'`);
	}

	switch (chosen) {
		case 'simd-fma': {
			return new SimdNet(tf, config, shape, seed, 'fma', train);
		}

		case 'simd': {
			return new SimdNet(tf, config, shape, seed, 'plain', train);
		}

		case 'lean': {
			return new LeanMlp(tf, config, shape, seed);
		}

		case 'layers': {
			return new LayersTrainer(tf, config, shape, seed);
		}
	}
}

/** Rows order[start, start + rows) of `x` (rows of `dim` floats) into `into`: a batch, where the trainer does not gather it. */
export function copyRows(x: Float32Array, order: Uint32Array, start: number, rows: number, dim: number, into: Float32Array): void {
	for (let i = 0; i < rows; i++) {
		const index = order[start + i];
		into.set(x.subarray(index * dim, (index + 1) * dim), i * dim);
	}
}

/** What one epoch's batches need (trainBatches). */
interface EpochBatches {
	trainer: Trainer;
	config: TrialConfig;
	train: ImageSet;
	/** The epoch's shuffled image indices. */
	order: Uint32Array;
	batchX: Float32Array;
	batchY: Int32Array;
	augmenter: Augmenter | undefined;
	augmentRng: Rng;
	standardizer: Standardizer | undefined;
	schedule: LearningRateSchedule | undefined;
	epoch: number;
	/** The rate the trainer steps with as the epoch starts. */
	learningRate: number;
}

/**
 * One epoch's batches in `order`: gathered into the batch buffers, augmented, standardised and trained on; returns the
 * rate the trainer steps with at the end. The hot loop is a function of its own so that V8 optimises it alone: inside
 * trainTrial it was compiled on stack replacement with all of trainTrial (~10 ms of compiling), and thrown away again
 * when code around it first ran in the second epoch (trainTrial itself runs once, and stays in the interpreter).
 */
function trainBatches(epoch: EpochBatches): number {
	const {trainer, config, train, order, batchX, batchY, augmenter, augmentRng, standardizer, schedule} = epoch;
	const dim = train.x.length / train.n;
	let {learningRate} = epoch;
	for (let start = 0; start < order.length; start += config.batchSize) {
		const rows = Math.min(config.batchSize, order.length - start);
		if (!trainer.gatherBatch?.(order, start, rows)) {
			copyRows(train.x, order, start, rows, dim, batchX);
		}

		for (let i = 0; i < rows; i++) {
			batchY[i] = train.y[order[start + i]];
		}

		augmenter?.apply(batchX, rows, augmentRng);
		if (standardizer) {
			standardizeRows(standardizer, batchX, rows, dim);
		}

		const rate = schedule?.rateAt(epoch.epoch, start / config.batchSize) ?? learningRate;
		if (rate !== learningRate) {
			trainer.setLearningRate(rate);
			learningRate = rate;
		}

		trainer.trainBatch(batchX, batchY, rows);
	}

	return learningRate;
}

/**
 * Train one trial: seeded initialisation, seeded shuffling every epoch, mini-batches copied straight
 * from the shared pixel arrays (or gathered by the trainer from its copy of their bytes), loss and accuracy accumulated on the backend and read once per epoch
 * (a per-batch read forces a sync). Every network takes the SIMD path (paths/simd.ts) where WebAssembly SIMD
 * runs, with the fused kernels (simd-fma) where relaxed SIMD fuses; elsewhere MLPs take the lean path (paths/lean.ts)
 * and CNNs Keras-style layers (paths/layers.ts). A resumed trial keeps its checkpoint's path. onStart reports which.
 * Stops as `diverged` at the first epoch whose training or validation loss is not finite.
 */
export async function trainTrial(tf: Tf, input: TrainInput, hooks: TrainHooks): Promise<TrainResult> {
	const {config, seed, data, shape} = input;
	const chosen = input.capability && choosePath(config, shape, {train: data.train.n, validation: data.validation.n}, input.capability).path;
	let trainer = makeTrainer(tf, config, shape, seed, input.path ?? resumePath(input) ?? chosen, data.train);
	let stopping = new EarlyStopper(config.earlyStopping, trainer);
	const identity = trialIdentity(config, seed, shape);
	const newSchedule = () => config.lrSchedule ? new LearningRateSchedule(config.lrSchedule, config.learningRate, config.epochs, Math.ceil(data.train.n / config.batchSize)) : undefined;
	let schedule = newSchedule();
	/** The rate the trainer steps with: the config's until a schedule changes it. */
	let learningRate = config.learningRate;
	let trainSeconds = 0;
	let epochsRun = 0;
	let resumedFrom: number | undefined;
	if (input.resume) {
		try {
			const {header, state} = decodeCheckpoint(input.resume, {trainingPath: trainer.trainingPath, identity});
			await trainer.loadState(state);
			stopping.loadState(state);
			trainSeconds = state.takeNumber('loop/trainSeconds');
			if (schedule) {
				learningRate = loadSchedule(schedule, state);
				if (learningRate !== config.learningRate) {
					trainer.setLearningRate(learningRate);
				}
			}

			state.assertAllTaken();
			epochsRun = header.epoch;
			resumedFrom = header.epoch;
		} catch (error) {
			if (!(error instanceof CheckpointError)) {
				throw error;
			}

			hooks.onWarning?.(`checkpoint ignored, training from epoch 1: ${error.message}`);
			// The failed restore may have loaded part of the state: start over from a fresh trainer.
			stopping.dispose();
			trainer.dispose();
			trainer = makeTrainer(tf, config, shape, seed, input.path ?? chosen, data.train);
			stopping = new EarlyStopper(config.earlyStopping, trainer);
			schedule = newSchedule();
			learningRate = config.learningRate;
			trainSeconds = 0;
		}
	}

	hooks.onStart?.({paramCount: trainer.paramCount, trainingPath: trainer.trainingPath, ...(trainer.convAlgorithms && trainer.convAlgorithms.length > 0 && {convAlgorithms: [...trainer.convAlgorithms]}), ...(resumedFrom !== undefined && {resumedFrom})});
	const dim = data.train.x.length / data.train.n;
	const batchX = trainer.batchInput?.() ?? new Float32Array(config.batchSize * dim);
	const batchY = new Int32Array(config.batchSize);
	const order = new Uint32Array(data.train.n);
	const unshuffled = Uint32Array.from({length: data.train.n}, (_, i) => i);
	// Standardisation statistics come from the training split alone; validation and test get standardised copies.
	const standardizer = fitStandardizer(config.standardize, data.train);
	const validationSet = standardizer ? standardizedSet(standardizer, data.validation) : data.validation;
	const testSet = !standardizer ? data.test : (data.test === data.validation ? validationSet : standardizedSet(standardizer, data.test));
	const augmenter = config.augment ? new Augmenter(config.augment, shape.imageShape) : undefined;
	const due = checkpointsDue(input.checkpoint);
	let checkpointed = epochsRun;
	/** The state after `epoch` (the one just trained) to onCheckpoint. */
	const checkpoint = async (epoch: number) => {
		if (!hooks.onCheckpoint) {
			return;
		}

		const taken = performance.now();
		const state = new StateWriter();
		await trainer.saveState(state);
		stopping.saveState(state);
		state.putNumber('loop/trainSeconds', trainSeconds);
		if (schedule) {
			saveSchedule(schedule, learningRate, state);
		}

		const bytes = encodeCheckpoint({trainingPath: trainer.trainingPath, epoch, identity}, state);
		checkpointed = epoch;
		hooks.onCheckpoint({epoch, bytes, seconds: (performance.now() - taken) / 1000});
	};
	try {
		for (let epoch = epochsRun + 1; epoch <= config.epochs; epoch++) {
			const stopReason = hooks.shouldStop?.();
			if (stopReason) {
				// Stopped between epochs (Ctrl-C, SIGTERM): checkpoint the last epoch if the policy has not, so a resume loses nothing.
				if (input.checkpoint && checkpointed < epochsRun) {
					await checkpoint(epochsRun);
				}

				return {state: 'interrupted', epochsRun, trainSeconds, error: stopReason};
			}

			const started = performance.now();
			// 0, 1, ..., n - 1 shuffled: copied, not filled by a loop here, whose 60,000 steps made V8 compile all of
			// trainTrial (~10-25 ms) in the middle of an epoch.
			order.set(unshuffled);
			createRng(deriveSeed(seed, 'shuffle', epoch)).shuffle(order);
			learningRate = trainBatches({trainer, config, train: data.train, order, batchX, batchY, augmenter, augmentRng: createRng(deriveSeed(seed, 'augment', epoch)), standardizer, schedule, epoch, learningRate});
			const sums = trainer.takeSums();
			const [loss, correct] = [sums.loss / order.length, sums.correct];
			const validation = trainer.evaluate(validationSet);
			schedule?.endEpoch(validation.loss);
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

			if (due(epoch)) {
				await checkpoint(epoch);
			}

			// Let the worker's message port deliver a stop request between epochs.
			await new Promise(resolve => {
				setImmediate(resolve);
			});
		}

		const weightsEpoch = stopping.restoreBest() ?? epochsRun;
		const test = trainer.evaluate(testSet);
		return {
			state: 'completed',
			epochsRun,
			trainSeconds,
			testLoss: test.loss,
			testAccuracy: test.accuracy,
			testEpoch: weightsEpoch,
			...(stopping.reason && {stopReason: stopping.reason}),
			...(resumedFrom !== undefined && {resumedFrom}),
			...(input.keepWeights && {weights: currentWeights(trainer), weightsEpoch}),
		};
	} finally {
		stopping.dispose();
		trainer.dispose();
	}
}

/**
 * A schedule's checkpoint sections: the plateau's state (LearningRateSchedule.state) and the rate the trainer steps
 * with, so a resumed trial steps at the rate the uninterrupted one would have. Without a schedule the rate is the
 * config's and nothing is written (checkpoints of constant-rate trials read as before schedules existed).
 */
function saveSchedule(schedule: LearningRateSchedule, learningRate: number, state: StateWriter): void {
	const {rate, best, waited} = schedule.state();
	state.putNumber('schedule/learningRate', learningRate);
	state.putNumber('schedule/rate', rate);
	state.putNumber('schedule/best', best);
	state.putNumber('schedule/waited', waited);
}

/** Restores saveSchedule's sections into `schedule`; returns the rate to step with. Throws CheckpointError when one is missing. */
function loadSchedule(schedule: LearningRateSchedule, state: StateReader): number {
	schedule.restore({rate: state.takeNumber('schedule/rate'), best: state.takeNumber('schedule/best'), waited: state.takeNumber('schedule/waited')});
	return state.takeNumber('schedule/learningRate');
}

function currentWeights(trainer: Trainer): Float32Array[] {
	const snapshot = trainer.snapshot();
	try {
		return snapshot.arrays().map(values => values.slice());
	} finally {
		snapshot.dispose();
	}
}

/**
 * Keras' EarlyStopping: an epoch improves on the best when its monitored value is better by more than
 * minDelta (absolute, or relative to the best: early-stopping.ts); after `patience` epochs without improvement training stops. With restoreBest the weights of
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
		const improved = this.best === undefined || improves(settings, value, this.best);
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

		const by = typeof settings.minDelta === 'number' ? String(settings.minDelta) : `${settings.minDelta} (${absoluteDelta(settings.minDelta, this.best!).toPrecision(2)})`;
		this.reason = `early stopping at epoch ${record.epoch}: ${settings.monitor} did not improve by more than ${by} for ${settings.patience} epochs (best ${this.best!.toFixed(4)} at epoch ${this.bestEpoch}${settings.restoreBest ? ', restored' : ''})`;
		return true;
	}

	/**
	 * Put the best epoch's weights back, when asked to and training stopped or ran out past the best epoch.
	 * @returns the epoch whose weights were put back, if any.
	 */
	restoreBest(): number | undefined {
		if (!this.saved) {
			return undefined;
		}

		this.saved.restore();
		return this.bestEpoch;
	}

	/** The best value and epoch, and the best epoch's weights when restoreBest keeps them (sections `stopping/...`). */
	saveState(state: StateWriter): void {
		if (!this.settings || this.best === undefined) {
			return;
		}

		state.putNumber('stopping/best', this.best);
		state.putNumber('stopping/bestEpoch', this.bestEpoch);
		for (const [k, values] of (this.saved?.arrays() ?? []).entries()) {
			state.put(`stopping/weights/${k}`, values);
		}
	}

	loadState(state: StateReader): void {
		if (!this.settings || !state.has('stopping/best')) {
			return;
		}

		this.best = state.takeNumber('stopping/best');
		this.bestEpoch = state.takeNumber('stopping/bestEpoch');
		if (this.settings.restoreBest) {
			const lengths = currentWeights(this.trainer).map(values => values.length);
			const arrays = lengths.map((length, k) => state.take(`stopping/weights/${k}`, Float32Array, length));
			this.saved?.dispose();
			this.saved = this.trainer.snapshotFrom(arrays);
		}
	}

	dispose(): void {
		this.saved?.dispose();
		this.saved = undefined;
	}
}
