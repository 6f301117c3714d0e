/**
 * The SIMD path's CNN gradients against central finite differences of an independent float64 forward pass:
 * plain loops for 'same' convolution, the activation, 2x2 max pooling, global average pooling, Dense layers and
 * mean cross-entropy, written here from their definitions. simd.test.ts compares the same gradients with tfjs
 * autodiff through the layers path; this check needs no other training path to be right.
 */
import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {SimdNet} from '../../../src/train/paths/simd.js';
import type {TrialConfig} from '../../../src/types.js';
import {createRng} from '../../../src/util/random.js';
import {batches, seedConfig, shape} from '../helpers.js';

type Activation = (z: number) => number;
const ACTIVATIONS: Partial<Record<TrialConfig['activation'], Activation>> = {
	tanh: Math.tanh,
	relu: z => Math.max(0, z),
	elu: z => (z > 0 ? z : Math.expm1(z)),
};

/** Mean sparse cross-entropy of the network `config` describes, with `weights` in Keras' order, on `rows` images; all in float64. */
function referenceLoss(config: TrialConfig, weights: Float64Array[], x: Float32Array, y: Int32Array, rows: number): number {
	const act = ACTIVATIONS[config.activation]!;
	const [height, width, channels] = shape.imageShape;
	let total = 0;
	for (let r = 0; r < rows; r++) {
		let map = Float64Array.from(x.subarray(r * height * width * channels, (r + 1) * height * width * channels));
		let [h, w, c] = [height, width, channels];
		let next = 0;
		for (const filters of config.conv) {
			const kernel = weights[next++];
			const bias = weights[next++];
			const k = config.kernelSize;
			const before = Math.floor((k - 1) / 2);
			// 'same' convolution with zero padding, then the activation; NHWC, kernel [k, k, c, filters].
			const activated = new Float64Array(h * w * filters);
			for (let i = 0; i < h; i++) {
				for (let j = 0; j < w; j++) {
					for (let f = 0; f < filters; f++) {
						let sum = bias[f];
						for (let di = 0; di < k; di++) {
							for (let dj = 0; dj < k; dj++) {
								const [ii, jj] = [i + di - before, j + dj - before];
								if (ii < 0 || ii >= h || jj < 0 || jj >= w) {
									continue;
								}

								for (let ch = 0; ch < c; ch++) {
									sum += map[(((ii * w) + jj) * c) + ch] * kernel[(((((di * k) + dj) * c) + ch) * filters) + f];
								}
							}
						}

						activated[(((i * w) + j) * filters) + f] = act(sum);
					}
				}
			}

			// 2x2 max pooling, stride 2, a last odd row or column dropped.
			const [ph, pw] = [Math.floor(h / 2), Math.floor(w / 2)];
			const pooled = new Float64Array(ph * pw * filters);
			for (let i = 0; i < ph; i++) {
				for (let j = 0; j < pw; j++) {
					for (let f = 0; f < filters; f++) {
						const value = (di: number, dj: number) => activated[((((2 * i) + di) * w + (2 * j) + dj) * filters) + f];
						pooled[(((i * pw) + j) * filters) + f] = Math.max(value(0, 0), value(0, 1), value(1, 0), value(1, 1));
					}
				}
			}

			[map, h, w, c] = [pooled, ph, pw, filters];
		}

		if (config.globalPool) {
			const means = new Float64Array(c);
			for (let p = 0; p < h * w; p++) {
				for (let ch = 0; ch < c; ch++) {
					means[ch] += map[(p * c) + ch] / (h * w);
				}
			}

			map = means;
		}

		const units = [...config.hidden, shape.numClasses];
		for (const [l, out] of units.entries()) {
			const kernel = weights[next++];
			const bias = weights[next++];
			const z = Float64Array.from(bias);
			for (let i = 0; i < map.length; i++) {
				for (let o = 0; o < out; o++) {
					z[o] += map[i] * kernel[(i * out) + o];
				}
			}

			map = l < units.length - 1 ? z.map(act) : z;
		}

		const top = Math.max(...map);
		const logSum = top + Math.log(map.reduce((sum, logit) => sum + Math.exp(logit - top), 0));
		total += logSum - map[y[r]];
	}

	return total / rows;
}

const cases: Array<[string, Partial<TrialConfig>]> = [
	['two 3x3 conv blocks, tanh, a hidden layer', {conv: [3, 4], kernelSize: 3, hidden: [6], activation: 'tanh'}],
	['two 5x5 conv blocks, relu, straight into the logits', {conv: [2, 3], kernelSize: 5, hidden: [], activation: 'relu'}],
	['3x3 conv blocks and global average pooling, elu', {conv: [3, 4], kernelSize: 3, hidden: [], globalPool: true, activation: 'elu'}],
];

/** Every index of a tensor up to `limit` of them, else `limit` seeded ones. */
function probes(length: number, limit: number, seed: number): number[] {
	if (length <= limit) {
		return Array.from({length}, (_, i) => i);
	}

	const rng = createRng(seed);
	return Array.from({length: limit}, () => rng.int(0, length - 1));
}

for (const [title, overrides] of cases) {
	test.serial(`simd cnn gradients equal central finite differences of a float64 forward pass: ${title}`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig({model: 'cnn', ...overrides});
		const rows = 3;
		const [{x, y}] = await batches(1, rows);
		const simd = new SimdNet(tf, config, shape, 11);
		t.teardown(() => {
			simd.dispose();
		});
		// Biases start at 0, which puts the loss on a kink: a blank background pixel's activation act(0 + 0) = 0 equals the
		// zero padding, so next layer's pooling windows at the border hold exact ties whose members move differently
		// with the bias, and finite differences there average two one-sided derivatives. Small positive biases (the
		// parameters are the network's own, in the kernels' memory) leave only ties of identical patches, which are smooth.
		const rng = createRng(5);
		for (const [k, values] of simd.parameters.entries()) {
			if (k % 2 === 1) {
				values.set(values.map(() => 0.05 + (0.1 * rng.next())));
			}
		}

		const weights = simd.parameters.map(values => Float64Array.from(values));
		// The reference computes the function the SIMD path computes: same loss at float32 precision.
		const evaluated = simd.evaluate({x, y: Uint8Array.from(y), n: rows}).loss;
		const reference = referenceLoss(config, weights, x, y, rows);
		t.true(Math.abs(evaluated - reference) <= 1e-5 * Math.abs(reference), `loss: simd ${evaluated}, float64 reference ${reference}`);

		const gradients = simd.gradients(x, y, rows);
		const step = 1e-6;
		for (const [k, tensor] of weights.entries()) {
			// Convolution tensors come first and are small: every entry of them; of the Dense ones 60 at random.
			const indices = probes(tensor.length, k < 2 * config.conv.length ? Number.POSITIVE_INFINITY : 60, 100 + k);
			let worst = 0;
			let scale = 0;
			for (const i of indices) {
				const kept = tensor[i];
				tensor[i] = kept + step;
				const up = referenceLoss(config, weights, x, y, rows);
				tensor[i] = kept - step;
				const down = referenceLoss(config, weights, x, y, rows);
				tensor[i] = kept;
				const numeric = (up - down) / (2 * step);
				worst = Math.max(worst, Math.abs(gradients[k][i] - numeric));
				scale = Math.max(scale, Math.abs(numeric));
			}

			t.true(scale > 0, `tensor ${k}: the probed gradients are not all zero`);
			t.true(worst <= 1e-3 * scale, `tensor ${k} (${indices.length} entries): max |simd - finite difference| ${worst.toExponential(2)}, largest gradient ${scale.toExponential(2)}`);
		}
	});
}
