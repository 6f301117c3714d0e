import test from 'ava';
import {loadBackend} from '../../src/train/backend.js';

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
