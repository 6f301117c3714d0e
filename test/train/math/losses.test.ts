import type * as TF from '@tensorflow/tfjs';
import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {at, KernelArena, type KernelVariant} from '../../../src/train/kernels/load.js';
import {lossFromLogits} from '../../../src/train/math/losses.js';
import {crossEntropySums} from '../../../src/train/paths/simd.js';
import type {LossName} from '../../../src/types.js';
import {createRng} from '../../../src/util/random.js';
import {runsHere, VARIANTS} from '../kernels/helpers.js';

const logits = [[2, 0.5, -1], [0, 0, 3]];
const labels = [0, 1];

function softmax(row: number[]): number[] {
	const max = Math.max(...row);
	const exps = row.map(value => Math.exp(value - max));
	const sum = exps.reduce((a, b) => a + b, 0);
	return exps.map(value => value / sum);
}

/** The SIMD path's cross-entropy of these logits (rows of `classes`), by its kernel in a fresh arena; dLogits gets the gradient. */
function crossEntropy(variant: KernelVariant, logits: Float32Array, labels: ArrayLike<number>, classes: number, dLogits: Float32Array | undefined, smoothing: number): {loss: number; correct: number} {
	const rows = labels.length;
	const arena = new KernelArena(KernelArena.floats([logits.length, rows, logits.length, 8]), variant);
	const z = arena.allocate(logits.length);
	z.set(logits);
	const targets = arena.allocateInt(rows);
	targets.set(labels);
	const gradient = arena.allocate(logits.length);
	const sums = arena.allocateF64(4);
	arena.kernels.softmax_cross_entropy(at(z), at(targets), rows, classes, smoothing, dLogits ? at(gradient) : 0, at(sums));
	dLogits?.set(gradient);
	return crossEntropySums(sums);
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

test('label smoothing: cross-entropy against (1 - s) one-hot + s / classes, from tfjs and from the kernel', async t => {
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
	const sums = crossEntropy('plain', Float32Array.from(logits.flat()), labels, 3, undefined, s);
	t.true(Math.abs((sums.loss / 2) - expected) < 1e-5, `kernel ${sums.loss / 2} vs ${expected}`);
	// Smoothing raises the loss of these confident rows: a test that would pass without it would not see that.
	t.true(expected > await loss('sparseCategoricalCrossentropy') + 0.01);
});

// The SIMD path's cross-entropy is a kernel (kernels/simd.c softmax_cross_entropy); the other losses are lossOf's loops.
for (const [variant, smoothing] of VARIANTS.flatMap(variant => [0, 0.1, 0.3].map(smoothing => [variant, smoothing] as const))) {
	test(`the cross-entropy kernel (${variant}) and its gradient equal tfjs autodiff with label smoothing ${smoothing}`, async t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const {tf} = await loadBackend('cpu');
		const rng = createRng(3);
		const [rows, classes] = [5, 10];
		const values = Float32Array.from({length: rows * classes}, () => (rng.next() - 0.5) * 6);
		const targets = Int32Array.from({length: rows}, (_, r) => (r * 3) % classes);
		const dLogits = new Float32Array(values.length);
		const sums = crossEntropy(variant, values, targets, classes, dLogits, smoothing);
		const {value, grad, hits} = tf.tidy(() => {
			const f = (z: TF.Tensor) => lossFromLogits(tf, 'sparseCategoricalCrossentropy', z as TF.Tensor2D, tf.tensor1d(targets, 'int32'), smoothing);
			const z = tf.tensor2d(values, [rows, classes]);
			const {value, grad} = tf.valueAndGrad(f)(z);
			return {value: value.dataSync()[0], grad: grad.dataSync(), hits: tf.sum(tf.equal(tf.argMax(z, 1), tf.tensor1d(targets, 'int32'))).dataSync()[0]};
		});
		t.true(Math.abs((sums.loss / rows) - value) < 1e-5, `loss ${sums.loss / rows} vs tfjs ${value}`);
		t.is(sums.correct, hits);
		for (let i = 0; i < grad.length; i++) {
			if (Math.abs(dLogits[i] - grad[i]) > 1e-6) {
				t.fail(`dLogits[${i}] ${dLogits[i]} vs tfjs ${grad[i]}`);
				return;
			}
		}

		t.pass();
	});
}

test('the cross-entropy kernel sums 3,000 rows of 100 classes, whose totals\' product overflows a double, to the sum of their logs', t => {
	const rng = createRng(11);
	const [rows, classes] = [3000, 100];
	const values = Float32Array.from({length: rows * classes}, () => (rng.next() - 0.5) * 2);
	const targets = Int32Array.from({length: rows}, (_, r) => (r * 7) % classes);
	let expected = 0;
	let correct = 0;
	for (let r = 0; r < rows; r++) {
		const row = [...values.subarray(r * classes, (r + 1) * classes)];
		const max = Math.max(...row);
		expected += max + Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0)) - row[targets[r]];
		correct += row.indexOf(max) === targets[r] ? 1 : 0;
	}

	const sums = crossEntropy('plain', values, targets, classes, undefined, 0);
	t.true(Math.abs(sums.loss - expected) < 1e-9 * expected, `${sums.loss} vs ${expected}`);
	t.is(sums.correct, correct);
});

test('the cross-entropy kernel\'s loss is not finite where a logit is NaN or infinite, as the loop\'s divergence check needs', t => {
	for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
		const values = Float32Array.from([0.5, -1, 2, 0, bad, 1]);
		const dLogits = new Float32Array(6);
		t.false(Number.isFinite(crossEntropy('plain', values, [0, 2], 3, dLogits, 0).loss), String(bad));
		t.false(Number.isFinite(crossEntropy('plain', values, [0, 2], 3, dLogits, 0.1).loss), `${bad}, smoothed`);
	}

	// A logit of -Infinity is a probability of 0, not a failure, unless it is the label's.
	const values = Float32Array.from([0.5, Number.NEGATIVE_INFINITY, 2]);
	t.true(Number.isFinite(crossEntropy('plain', values, [0], 3, undefined, 0).loss));
	t.is(crossEntropy('plain', values, [1], 3, undefined, 0).loss, Number.POSITIVE_INFINITY);
});
