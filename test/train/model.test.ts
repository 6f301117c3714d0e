import test from 'ava';
import {loadBackend} from '../../src/train/backend.js';
import {countParams, type ModelShape} from '../../src/train/model.js';
import {buildModel} from '../../src/train/paths/layers.js';
import {ACTIVATIONS, DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../../src/types.js';

const shape: ModelShape = {imageShape: [28, 28, 1], numClasses: 10};

const configs: Array<[string, Partial<TrialConfig>]> = [
	['seed MLP 64-64', {}],
	['wide 2000', {hidden: [2000]}],
	['deep 6x64', {hidden: [64, 64, 64, 64, 64, 64]}],
	['linear classifier', {hidden: []}],
	['batch norm + dropout', {hidden: [128, 64], batchNorm: true, dropout: 0.2}],
	['leaky relu', {activation: 'leakyRelu'}],
	['cnn', {model: 'cnn', conv: [16, 32], kernelSize: 3, hidden: [64]}],
	['cnn batch norm', {model: 'cnn', conv: [8], kernelSize: 5, hidden: [], batchNorm: true}],
	// The benchmark's shapes: 5x5 kernels, 32 and 64 channels, with Flatten or global average pooling.
	['cnn 5x5 32-64', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [128]}],
	['cnn 5x5 32-64, global average pooling', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [], globalPool: true}],
	['cnn global average pooling, batch norm', {model: 'cnn', conv: [8, 16, 32], hidden: [16], globalPool: true, batchNorm: true}],
];

test('global average pooling leaves one feature per channel of the last block', t => {
	const config: TrialConfig = {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: []};
	// Conv 5x5x1x32 + 32, conv 5x5x32x64 + 64, then 7x7x64 = 3136 features (Flatten) or 64 (pooled) into Dense(10).
	const convs = ((25 * 32) + 32) + ((25 * 32 * 64) + 64);
	t.is(countParams(config, shape), convs + (3136 * 10) + 10);
	t.is(countParams({...config, globalPool: true}, shape), convs + (64 * 10) + 10);
	t.is(countParams({...config, globalPool: true}, shape), 52_746);
});

test('the seed MLP has the Keras parameter count of Flatten -> 64 -> 64 -> 10', t => {
	t.is(countParams(DEFAULT_TRIAL_CONFIG, shape), (784 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10));
	t.is(countParams(DEFAULT_TRIAL_CONFIG, shape), 55_050);
});

for (const [title, overrides] of configs) {
	test(`countParams matches tfjs model.countParams(): ${title}`, async t => {
		const {tf} = await loadBackend('cpu');
		const config = {...DEFAULT_TRIAL_CONFIG, ...overrides};
		const model = buildModel(tf, config, shape, 7);
		t.teardown(() => {
			model.dispose();
		});
		t.is(countParams(config, shape), model.countParams());
		const logits = tf.tidy(() => (model.predict(tf.zeros([2, 784])) as typeof tf.Tensor.prototype).shape);
		t.deepEqual(logits, [2, 10]);
	});
}

test('weights are a function of the seed', async t => {
	const {tf} = await loadBackend('cpu');
	const weights = (seed: number) => {
		const model = buildModel(tf, DEFAULT_TRIAL_CONFIG, shape, seed);
		const values = model.getWeights().map(w => Array.from(w.dataSync()));
		model.dispose();
		return values;
	};

	t.deepEqual(weights(3), weights(3));
	t.notDeepEqual(weights(3), weights(4));
});

test('every activation of the sweep format builds and runs', async t => {
	const {tf} = await loadBackend('cpu');
	for (const activation of ACTIVATIONS) {
		const model = buildModel(tf, {...DEFAULT_TRIAL_CONFIG, activation, hidden: [8]}, shape, 1);
		const out = tf.tidy(() => Array.from((model.predict(tf.ones([1, 784])) as typeof tf.Tensor.prototype).dataSync()));
		model.dispose();
		t.is(out.length, 10, activation);
		t.true(out.every(value => Number.isFinite(value)), activation);
	}
});

test('a cnn deeper than the image allows is refused', async t => {
	const {tf} = await loadBackend('cpu');
	t.throws(() => buildModel(tf, {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [4, 4, 4, 4, 4, 4]}, shape, 1), {message: /at most 4 poolings/});
});
