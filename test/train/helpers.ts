/** Data, configs and comparisons shared by the training-path tests. */
import type * as TF from '@tensorflow/tfjs';
import type {ExecutionContext} from 'ava';
import {loadDataset} from '../../src/data/load.js';
import type {Tf} from '../../src/train/backend.js';
import {lossFromLogits} from '../../src/train/math/losses.js';
import type {ModelShape} from '../../src/train/model.js';
import type {LayersTrainer} from '../../src/train/paths/layers.js';
import type {Trainer} from '../../src/train/trainer.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../../src/types.js';

export const shape: ModelShape = {imageShape: [28, 28, 1], numClasses: 10};
export const DIM = 784;

export async function batches(count: number, size: number): Promise<Array<{x: Float32Array; y: Int32Array}>> {
	const {train} = await loadDataset('fashion-mnist-mini');
	return Array.from({length: count}, (_, b) => ({
		x: train.x.slice(b * size * DIM, (b + 1) * size * DIM),
		y: Int32Array.from(train.y.subarray(b * size, (b + 1) * size)),
	}));
}

export function seedConfig(overrides: Partial<TrialConfig>): TrialConfig {
	return {...DEFAULT_TRIAL_CONFIG, hidden: [24, 16], batchSize: 16, ...overrides};
}

export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
	let max = 0;
	for (let i = 0; i < a.length; i++) {
		max = Math.max(max, Math.abs(a[i] - b[i]));
	}

	return max;
}

export function assertClose(t: {true(value: boolean, message?: string): void; is(a: unknown, b: unknown, message?: string): void}, actual: Float32Array[], expected: ArrayLike<number>[], tolerance: number, what: string): void {
	t.is(actual.length, expected.length, `${what}: number of tensors`);
	for (const [k, values] of expected.entries()) {
		t.is(actual[k].length, values.length, `${what}[${k}] length`);
		let scale = 0;
		for (let i = 0; i < values.length; i++) {
			scale = Math.max(scale, Math.abs(values[i]));
		}

		const difference = maxDifference(actual[k], values);
		t.true(difference <= tolerance * Math.max(scale, 1e-3), `${what}[${k}]: max difference ${difference} (scale ${scale})`);
	}
}

/** Gradients of the plain path: autodiff through the Keras-style model, in training mode. */
export function layersGradients(tf: Tf, trainer: LayersTrainer, config: TrialConfig, x: Float32Array, y: Int32Array): Float32Array[] {
	return tf.tidy(() => {
		const xs = tf.tensor2d(x, [y.length, DIM]);
		const ys = tf.tensor1d(y, 'int32');
		const variables = trainer.model.trainableWeights.map(weight => weight.read() as TF.Variable);
		const {grads} = tf.variableGrads(() => lossFromLogits(tf, config.loss, trainer.model.apply(xs, {training: true}) as TF.Tensor2D, ys, config.labelSmoothing), variables);
		return variables.map(variable => grads[variable.name].dataSync() as Float32Array);
	});
}

/**
 * Trains both on the same `steps` batches; their summed losses agree within 1e-3 and their correct counts exactly.
 * `rates[i]`, when given, is the learning rate of step i (a schedule's), set on both before the step.
 */
export async function trainSideBySide(t: ExecutionContext, reference: Trainer, candidate: Trainer, steps: number, batchSize: number, rates?: number[]): Promise<void> {
	for (const [i, {x, y}] of (await batches(steps, batchSize)).entries()) {
		if (rates) {
			reference.setLearningRate(rates[i]);
			candidate.setLearningRate(rates[i]);
		}

		reference.trainBatch(x, y, y.length);
		candidate.trainBatch(x, y, y.length);
	}

	const expected = reference.takeSums();
	const actual = candidate.takeSums();
	t.true(Math.abs(expected.loss - actual.loss) < 1e-3 * expected.loss, `summed loss ${actual.loss} vs ${expected.loss}`);
	t.is(actual.correct, expected.correct);
}

/** Both evaluate the first `rows` bundled images to the same accuracy, and to losses within `tolerance` (relative). */
export async function assertSameEvaluation(t: ExecutionContext, reference: Trainer, candidate: Trainer, rows: number, tolerance: number): Promise<void> {
	const [set] = await batches(1, rows);
	const images = {x: set.x, y: Uint8Array.from(set.y), n: rows};
	const expected = reference.evaluate(images);
	const actual = candidate.evaluate(images);
	t.true(Math.abs(expected.loss - actual.loss) < tolerance * expected.loss, `evaluation loss ${actual.loss} vs ${expected.loss}`);
	t.is(actual.accuracy, expected.accuracy);
}

/** A Keras-style model's batch-norm moving statistics: its non-trainable weights, in order. */
export function layersMovingStatistics(trainer: LayersTrainer): ArrayLike<number>[] {
	return trainer.model.getWeights(false).filter((_, i) => !trainer.model.weights[i].trainable).map(tensor => tensor.dataSync());
}
