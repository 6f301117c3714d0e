import type * as TF from '@tensorflow/tfjs';
import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {lossFromLogits, lossOf} from '../../../src/train/math/losses.js';
import type {LossName} from '../../../src/types.js';
import {createRng} from '../../../src/util/random.js';

const logits = [[2, 0.5, -1], [0, 0, 3]];
const labels = [0, 1];

function softmax(row: number[]): number[] {
	const max = Math.max(...row);
	const exps = row.map(value => Math.exp(value - max));
	const sum = exps.reduce((a, b) => a + b, 0);
	return exps.map(value => value / sum);
}

async function loss(name: LossName): Promise<number> {
	const {tf} = await loadBackend('cpu');
	return tf.tidy(() => lossFromLogits(tf, name, tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]);
}

test('cross-entropy from logits is -mean log softmax of the true class', async t => {
	const expected = -(Math.log(softmax(logits[0])[0]) + Math.log(softmax(logits[1])[1])) / 2;
	t.true(Math.abs(await loss('sparseCategoricalCrossentropy') - expected) < 1e-5);
});

test('mean squared error compares softmax probabilities with one-hot labels', async t => {
	const probs = logits.map(row => softmax(row));
	let sum = 0;
	for (const [i, row] of probs.entries()) {
		for (const [k, p] of row.entries()) {
			sum += ((k === labels[i] ? 1 : 0) - p) ** 2;
		}
	}

	t.true(Math.abs(await loss('meanSquaredError') - (sum / 6)) < 1e-5);
});

test('categorical hinge is mean(max(0, 1 + max wrong p - true p))', async t => {
	const probs = logits.map(row => softmax(row));
	const terms = probs.map((row, i) => Math.max(0, 1 + Math.max(...row.filter((_, k) => k !== labels[i])) - row[labels[i]]));
	t.true(Math.abs(await loss('categoricalHinge') - ((terms[0] + terms[1]) / 2)) < 1e-5);
});

test('label smoothing: cross-entropy against (1 - s) one-hot + s / classes, from tfjs and from the loops', async t => {
	const {tf} = await loadBackend('cpu');
	const s = 0.1;
	const probs = logits.map(row => softmax(row));
	let expected = 0;
	for (const [i, row] of probs.entries()) {
		for (const [k, p] of row.entries()) {
			expected -= ((k === labels[i] ? 1 - s : 0) + (s / 3)) * Math.log(p);
		}
	}

	expected /= 2;
	const fromTf = tf.tidy(() => lossFromLogits(tf, 'sparseCategoricalCrossentropy', tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), s).dataSync()[0]);
	t.true(Math.abs(fromTf - expected) < 1e-5, `tfjs ${fromTf} vs ${expected}`);
	const sums = lossOf('sparseCategoricalCrossentropy', Float32Array.from(logits.flat()), labels, 2, 3, undefined, s);
	t.true(Math.abs((sums.loss / 2) - expected) < 1e-5, `loops ${sums.loss / 2} vs ${expected}`);
	// Smoothing raises the loss of these confident rows: a test that would pass without it would not see that.
	t.true(expected > await loss('sparseCategoricalCrossentropy') + 0.01);
});

for (const smoothing of [0, 0.1, 0.3]) {
	test(`the loops' cross-entropy gradient equals tfjs autodiff with label smoothing ${smoothing}`, async t => {
		const {tf} = await loadBackend('cpu');
		const rng = createRng(3);
		const [rows, classes] = [5, 10];
		const values = Float32Array.from({length: rows * classes}, () => (rng.next() - 0.5) * 6);
		const targets = Int32Array.from({length: rows}, (_, r) => (r * 3) % classes);
		const dLogits = new Float32Array(values.length);
		const sums = lossOf('sparseCategoricalCrossentropy', values, targets, rows, classes, dLogits, smoothing);
		const {value, grad} = tf.tidy(() => {
			const f = (z: TF.Tensor) => lossFromLogits(tf, 'sparseCategoricalCrossentropy', z as TF.Tensor2D, tf.tensor1d(targets, 'int32'), smoothing);
			const {value, grad} = tf.valueAndGrad(f)(tf.tensor2d(values, [rows, classes]));
			return {value: value.dataSync()[0], grad: grad.dataSync()};
		});
		t.true(Math.abs((sums.loss / rows) - value) < 1e-5, `loss ${sums.loss / rows} vs tfjs ${value}`);
		for (let i = 0; i < grad.length; i++) {
			if (Math.abs(dLogits[i] - grad[i]) > 1e-6) {
				t.fail(`dLogits[${i}] ${dLogits[i]} vs tfjs ${grad[i]}`);
				return;
			}
		}

		t.pass();
	});
}
