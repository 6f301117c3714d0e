import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {LayersTrainer} from '../../../src/train/paths/layers.js';
import {LeanMlp} from '../../../src/train/paths/lean.js';
import type {TrialConfig} from '../../../src/types.js';
import {assertClose, assertSameEvaluation, batches, layersGradients, layersMovingStatistics, maxDifference, seedConfig, shape, trainSideBySide} from '../helpers.js';

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
		await trainSideBySide(t, layers, lean, 4, config.batchSize);
		const trained = layers.model.trainableWeights.map(weight => weight.read().dataSync());
		assertClose(t, lean.parameters, trained, 1e-4, 'weights after 4 steps');
		t.true(lean.parameters.some((values, k) => maxDifference(values, initial[k]) > config.learningRate / 10), 'the weights moved');
		if (config.batchNorm) {
			assertClose(t, lean.movingStatistics, layersMovingStatistics(layers), 1e-4, 'moving statistics');
		}

		await assertSameEvaluation(t, layers, lean, 200, 1e-3);
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
