import test from 'ava';
import {loadBackend} from '../../src/train/backend.js';
import {buildModel, countParams, type ModelShape} from '../../src/train/model.js';
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
];

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

test.serial('conv filter gradients on wasm (registered kernel) match the cpu backend', async t => {
	const {tf} = await loadBackend('cpu');
	const gradients = async (backend: 'cpu' | 'wasm') => {
		await loadBackend(backend);
		return tf.tidy(() => {
			const x = tf.tensor4d(Array.from({length: 2 * 6 * 6 * 3}, (_, i) => Math.sin(i)), [2, 6, 6, 3]);
			const w = tf.tensor4d(Array.from({length: 3 * 3 * 3 * 4}, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
			return [['same', 1], ['valid', 1]].map(([pad, stride]) => {
				const grad = tf.grad(filter => tf.sum(tf.square(tf.conv2d(x, filter as typeof w, stride as number, pad as 'same' | 'valid'))))(w);
				return Array.from(grad.dataSync());
			});
		});
	};

	const cpu = await gradients('cpu');
	const wasm = await gradients('wasm');
	await loadBackend('cpu');
	for (const [i, expected] of cpu.entries()) {
		const maxError = Math.max(...expected.map((value, k) => Math.abs(value - wasm[i][k]) / Math.max(1, Math.abs(value))));
		t.true(maxError < 1e-4, `case ${i}: max relative error ${maxError}`);
	}
});

test.serial('max-pooling gradients on wasm (replaced kernel) match the cpu backend', async t => {
	const {tf} = await loadBackend('cpu');
	// Shapes where tfjs-backend-wasm 4.22's own MaxPoolGrad is wrong ([2, 14, 14, 4], [1, 4, 4, 1]) and where it is right.
	const shapes: Array<[number, number, number, number]> = [[2, 14, 14, 4], [2, 28, 28, 8], [1, 4, 4, 1], [2, 7, 7, 3], [2, 14, 14, 3]];
	const gradients = async (backend: 'cpu' | 'wasm') => {
		await loadBackend(backend);
		return shapes.map(shape => tf.tidy(() => {
			const size = shape.reduce((product, dim) => product * dim, 1);
			const x = tf.tensor4d(Array.from({length: size}, (_, i) => Math.sin(i * 1.7)), shape);
			const pooled = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]] as [number, number, number, number];
			const weights = tf.tensor4d(Array.from({length: pooled.reduce((product, dim) => product * dim, 1)}, (_, i) => Math.cos(i * 0.3)), pooled);
			return Array.from(tf.grad(input => tf.sum(tf.mul(tf.maxPool(input as typeof x, 2, 2, 'valid'), weights)))(x).dataSync());
		}));
	};

	const cpu = await gradients('cpu');
	const wasm = await gradients('wasm');
	await loadBackend('cpu');
	for (const [i, expected] of cpu.entries()) {
		const maxError = Math.max(...expected.map((value, k) => Math.abs(value - wasm[i][k])));
		t.true(maxError < 1e-6, `${shapes[i].join('x')}: max error ${maxError}`);
	}
});
