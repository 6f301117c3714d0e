import type * as TF from '@tensorflow/tfjs';
import type {ImageSet, SplitData} from '../data/load.js';
import type {EpochRecord, TrialConfig} from '../types.js';
import {createRng, deriveSeed} from '../util/random.js';
import type {Tf} from './backend.js';
import {buildModel, type ModelShape} from './model.js';
import {lossFromLogits, makeOptimizer} from './objective.js';

export interface TrainInput {
	config: TrialConfig;
	seed: number;
	data: SplitData;
	shape: ModelShape;
}

export interface TrainHooks {
	/** Called once the model is built, before the first epoch. */
	onStart?(info: {paramCount: number; trainingPath: string}): void;
	/** Called after every epoch, in order; a trial's epochs are streamed through it. */
	onEpoch(record: EpochRecord): void;
	/** Polled between epochs: a reason string stops training after the current epoch. */
	shouldStop?(): string | undefined;
}

export interface TrainResult {
	state: 'completed' | 'diverged' | 'interrupted';
	epochsRun: number;
	/** Wall seconds of all epochs (training plus validation), without the test evaluation. */
	trainSeconds: number;
	testLoss?: number;
	testAccuracy?: number;
	/** Why training ended early (diverged or interrupted). */
	error?: string;
}

/** Rows per forward pass when evaluating: large enough to amortise dispatch, small enough for wasm memory. */
const EVAL_CHUNK = 2000;

/**
 * Train one trial: seeded initialisation, seeded shuffling every epoch, mini-batches copied straight
 * from the shared pixel arrays, loss and accuracy accumulated on the backend and read once per epoch
 * (a per-batch read forces a sync). Stops as `diverged` at the first epoch whose training or
 * validation loss is not finite.
 */
export async function trainTrial(tf: Tf, input: TrainInput, hooks: TrainHooks): Promise<TrainResult> {
	const {config, seed, data, shape} = input;
	const model = buildModel(tf, config, shape, seed);
	const optimizer = makeOptimizer(tf, config.optimizer, config.learningRate);
	hooks.onStart?.({paramCount: model.countParams(), trainingPath: 'layers'});
	const dim = data.train.x.length / data.train.n;
	const batchX = new Float32Array(config.batchSize * dim);
	const batchY = new Int32Array(config.batchSize);
	const order = new Uint32Array(data.train.n);
	let trainSeconds = 0;
	let epochsRun = 0;
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
			let lossSum: TF.Scalar = tf.scalar(0);
			let correctSum: TF.Scalar = tf.scalar(0);
			for (let start = 0; start < order.length; start += config.batchSize) {
				const rows = Math.min(config.batchSize, order.length - start);
				for (let i = 0; i < rows; i++) {
					const index = order[start + i];
					batchX.set(data.train.x.subarray(index * dim, (index + 1) * dim), i * dim);
					batchY[i] = data.train.y[index];
				}

				const [batchLoss, batchCorrect] = tf.tidy(() => {
					const xs = tf.tensor2d(rows === config.batchSize ? batchX : batchX.subarray(0, rows * dim), [rows, dim]);
					const ys = tf.tensor1d(rows === config.batchSize ? batchY : batchY.subarray(0, rows), 'int32');
					let correct: TF.Scalar | undefined;
					const cost = optimizer.minimize(() => {
						const logits = model.apply(xs, {training: true}) as TF.Tensor2D;
						correct = tf.keep(tf.sum(tf.equal(tf.argMax(logits, 1), ys)).toFloat() as TF.Scalar);
						return lossFromLogits(tf, config.loss, logits, ys);
					}, true)!;
					return [tf.mul(cost, rows) as TF.Scalar, correct!];
				});
				lossSum = accumulate(lossSum, batchLoss);
				correctSum = accumulate(correctSum, batchCorrect);
			}

			const [loss, correct] = [lossSum.dataSync()[0] / order.length, correctSum.dataSync()[0]];
			lossSum.dispose();
			correctSum.dispose();
			const validation = evaluate(tf, model, config, data.validation);
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

			// Let the worker's message port deliver a stop request between epochs.
			await new Promise(resolve => {
				setImmediate(resolve);
			});
		}

		const test = evaluate(tf, model, config, data.test);
		return {state: 'completed', epochsRun, trainSeconds, testLoss: test.loss, testAccuracy: test.accuracy};
	} finally {
		optimizer.dispose();
		model.dispose();
	}
}

function accumulate(total: TF.Scalar, increment: TF.Scalar): TF.Scalar {
	const sum = total.add(increment) as TF.Scalar;
	total.dispose();
	increment.dispose();
	return sum;
}

/** Mean loss and accuracy of the model on a set, in inference mode (dropout off, batch-norm moving statistics). */
export function evaluate(tf: Tf, model: TF.LayersModel, config: TrialConfig, set: ImageSet): {loss: number; accuracy: number} {
	const dim = set.x.length / set.n;
	let lossSum: TF.Scalar = tf.scalar(0);
	let correctSum: TF.Scalar = tf.scalar(0);
	for (let start = 0; start < set.n; start += EVAL_CHUNK) {
		const rows = Math.min(EVAL_CHUNK, set.n - start);
		const [chunkLoss, chunkCorrect] = tf.tidy(() => {
			const xs = tf.tensor2d(set.x.subarray(start * dim, (start + rows) * dim), [rows, dim]);
			const ys = tf.tensor1d(Int32Array.from(set.y.subarray(start, start + rows)), 'int32');
			const logits = model.apply(xs, {training: false}) as TF.Tensor2D;
			return [
				tf.mul(lossFromLogits(tf, config.loss, logits, ys), rows) as TF.Scalar,
				tf.sum(tf.equal(tf.argMax(logits, 1), ys)).toFloat() as TF.Scalar,
			];
		});
		lossSum = accumulate(lossSum, chunkLoss);
		correctSum = accumulate(correctSum, chunkCorrect);
	}

	const result = {loss: lossSum.dataSync()[0] / set.n, accuracy: correctSum.dataSync()[0] / set.n};
	lossSum.dispose();
	correctSum.dispose();
	return result;
}
