import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {lossFromLogits} from '../../../src/train/math/losses.js';
import type {LossName} from '../../../src/types.js';

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
