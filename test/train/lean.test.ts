import test from 'ava';
import type * as TF from '@tensorflow/tfjs';
import {loadDataset, splitDataset} from '../../src/data/load.js';
import {loadBackend, type Tf} from '../../src/train/backend.js';
import {LeanMlp, leanCovers} from '../../src/train/lean.js';
import {LayersTrainer, trainTrial} from '../../src/train/loop.js';
import type {ModelShape} from '../../src/train/model.js';
import {lossFromLogits} from '../../src/train/objective.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../../src/types.js';

const shape: ModelShape = {imageShape: [28, 28, 1], numClasses: 10};
const DIM = 784;

async function batches(count: number, size: number): Promise<Array<{x: Float32Array; y: Int32Array}>> {
	const {train} = await loadDataset('fashion-mnist-mini');
	return Array.from({length: count}, (_, b) => ({
		x: train.x.slice(b * size * DIM, (b + 1) * size * DIM),
		y: Int32Array.from(train.y.subarray(b * size, (b + 1) * size)),
	}));
}

function seedConfig(overrides: Partial<TrialConfig>): TrialConfig {
	return {...DEFAULT_TRIAL_CONFIG, hidden: [24, 16], batchSize: 16, ...overrides};
}

/** Gradients of the plain path: autodiff through the Keras-style model, in training mode. */
function layersGradients(tf: Tf, trainer: LayersTrainer, config: TrialConfig, x: Float32Array, y: Int32Array): Float32Array[] {
	return tf.tidy(() => {
		const xs = tf.tensor2d(x, [y.length, DIM]);
		const ys = tf.tensor1d(y, 'int32');
		const variables = trainer.model.trainableWeights.map(weight => weight.read() as TF.Variable);
		const {grads} = tf.variableGrads(() => lossFromLogits(tf, config.loss, trainer.model.apply(xs, {training: true}) as TF.Tensor2D, ys), variables);
		return variables.map(variable => grads[variable.name].dataSync() as Float32Array);
	});
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
	let max = 0;
	for (let i = 0; i < a.length; i++) {
		max = Math.max(max, Math.abs(a[i] - b[i]));
	}

	return max;
}

function assertClose(t: {true(value: boolean, message?: string): void; is(a: unknown, b: unknown, message?: string): void}, actual: Float32Array[], expected: ArrayLike<number>[], tolerance: number, what: string): void {
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

const gradientCases: Array<[string, Partial<TrialConfig>]> = [
	['the seed MLP (relu, cross-entropy)', {}],
	['sigmoid, mean squared error', {activation: 'sigmoid', loss: 'meanSquaredError'}],
	['elu, categorical hinge', {activation: 'elu', loss: 'categoricalHinge'}],
	['leakyRelu', {activation: 'leakyRelu'}],
	['tanh with batch norm', {activation: 'tanh', batchNorm: true}],
	['gelu', {activation: 'gelu'}],
	['swish in a deeper net', {activation: 'swish', hidden: [12, 10, 8]}],
	['no hidden layer', {hidden: []}],
];

for (const [title, overrides] of gradientCases) {
	test.serial(`lean gradients equal autodiff through the layers: ${title}`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig(overrides);
		const [{x, y}] = await batches(1, config.batchSize);
		const layers = new LayersTrainer(tf, config, shape, 7);
		const lean = new LeanMlp(tf, config, shape, 7);
		t.teardown(() => {
			layers.dispose();
			lean.dispose();
		});
		const initial = layers.model.trainableWeights.map(weight => weight.read().dataSync());
		assertClose(t, lean.parameters, initial, 0, 'initial weights');
		assertClose(t, lean.gradients(x, y, y.length), layersGradients(tf, layers, config, x, y), 1e-4, 'gradients');
	});
}

for (const activation of ['softsign', 'selu', 'softplus'] as const) {
	test.serial(`lean gradients equal autodiff through the layers: ${activation}`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig({activation});
		const [{x, y}] = await batches(1, config.batchSize);
		const layers = new LayersTrainer(tf, config, shape, 3);
		const lean = new LeanMlp(tf, config, shape, 3);
		t.teardown(() => {
			layers.dispose();
			lean.dispose();
		});
		assertClose(t, lean.gradients(x, y, y.length), layersGradients(tf, layers, config, x, y), 1e-4, 'gradients');
	});
}

const trainingCases: Array<[string, Partial<TrialConfig>]> = [
	['adam', {}],
	['sgd', {optimizer: 'sgd', learningRate: 0.1}],
	['momentum with batch norm', {optimizer: 'momentum', learningRate: 0.05, batchNorm: true}],
	['rmsprop', {optimizer: 'rmsprop'}],
	['adagrad', {optimizer: 'adagrad', learningRate: 0.05}],
	['adamax, sigmoid', {optimizer: 'adamax', activation: 'sigmoid'}],
];

for (const [title, overrides] of trainingCases) {
	test.serial(`a few lean training steps land where the layers' steps land: ${title}`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig({learningRate: 0.01, ...overrides});
		const layers = new LayersTrainer(tf, config, shape, 21);
		const lean = new LeanMlp(tf, config, shape, 21);
		t.teardown(() => {
			layers.dispose();
			lean.dispose();
		});
		const initial = lean.parameters.map(values => values.slice());
		for (const {x, y} of await batches(4, config.batchSize)) {
			layers.trainBatch(x, y, y.length);
			lean.trainBatch(x, y, y.length);
		}

		const layerSums = layers.takeSums();
		const leanSums = lean.takeSums();
		t.true(Math.abs(layerSums.loss - leanSums.loss) < 1e-3 * layerSums.loss, `summed loss ${leanSums.loss} vs ${layerSums.loss}`);
		t.is(leanSums.correct, layerSums.correct);
		const trained = layers.model.trainableWeights.map(weight => weight.read().dataSync());
		assertClose(t, lean.parameters, trained, 1e-4, 'weights after 4 steps');
		t.true(lean.parameters.some((values, k) => maxDifference(values, initial[k]) > config.learningRate / 10), 'the weights moved');
		if (config.batchNorm) {
			const moving = layers.model.getWeights(false).filter((_, i) => !layers.model.weights[i].trainable).map(tensor => tensor.dataSync());
			assertClose(t, lean.movingStatistics, moving, 1e-4, 'moving statistics');
		}

		const [set] = await batches(1, 200);
		const plain = layers.evaluate({x: set.x, y: Uint8Array.from(set.y), n: 200});
		const ours = lean.evaluate({x: set.x, y: Uint8Array.from(set.y), n: 200});
		t.true(Math.abs(plain.loss - ours.loss) < 1e-3 * plain.loss, `evaluation loss ${ours.loss} vs ${plain.loss}`);
		t.is(ours.accuracy, plain.accuracy);
	});
}

test.serial('dropout draws a fresh seeded mask for every batch', async t => {
	const {tf} = await loadBackend('wasm');
	const config = seedConfig({dropout: 0.5});
	const [{x, y}] = await batches(1, config.batchSize);
	const first = new LeanMlp(tf, config, shape, 4);
	const twin = new LeanMlp(tf, config, shape, 4);
	const plain = new LeanMlp(tf, seedConfig({}), shape, 4);
	t.teardown(() => {
		first.dispose();
		twin.dispose();
		plain.dispose();
	});
	const one = first.gradients(x, y, y.length);
	const two = first.gradients(x, y, y.length);
	t.true(maxDifference(one[0], two[0]) > 0, 'the same batch twice sees two masks');
	assertClose(t, twin.gradients(x, y, y.length), one, 0, 'same seed, same mask');
	t.true(maxDifference(plain.gradients(x, y, y.length)[0], one[0]) > 0, 'dropout changes the gradient');
});

test.serial('trainTrial takes the lean path for MLPs and the layers for CNNs, and says which', async t => {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist-mini');
	const data = splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit: 300, testLimit: 100, validation: 0.2});
	const paths: string[] = [];
	for (const config of [seedConfig({epochs: 1}), seedConfig({epochs: 1, model: 'cnn', conv: [2], hidden: []})]) {
		t.is(leanCovers(config), config.model === 'mlp');
		// eslint-disable-next-line no-await-in-loop
		const result = await trainTrial(tf, {config, seed: 1, data, shape}, {
			onStart(info) {
				paths.push(info.trainingPath);
			},
			onEpoch() {},
		});
		t.is(result.state, 'completed');
	}

	t.deepEqual(paths, ['lean', 'layers']);
});
