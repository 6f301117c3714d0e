/** Arrays in a kernel arena filled from a seeded generator, and the comparison the per-kernel tests share. */
import type {ExecutionContext} from 'ava';
import type {ConvShape} from '../../../src/train/kernels/conv.js';
import {fusedKernelsAvailable, KernelArena, type KernelVariant} from '../../../src/train/kernels/load.js';

/** Both builds of simd.c: every kernel test runs on each. */
export const VARIANTS: readonly KernelVariant[] = ['plain', 'fma'];

/**
 * Whether this runtime runs the variant. Where the fused one is missing (relaxed SIMD off, or a runtime that does not
 * fuse) the test passes with a note, except under CI=true, where it fails: CI must run both.
 */
export function runsHere(t: ExecutionContext, variant: KernelVariant): boolean {
	if (variant === 'plain' || fusedKernelsAvailable()) {
		return true;
	}

	if (process.env.CI === 'true') {
		t.fail('this runtime has no relaxed SIMD with a fused multiply-add: the fma kernels are untested');
	} else {
		t.log('no relaxed SIMD with a fused multiply-add here: the fma kernels are tested in CI');
		t.pass();
	}

	return false;
}

/** A fresh arena of the variant's kernels with room for arrays of these lengths. */
export function arenaFor(lengths: number[], variant: KernelVariant = 'plain'): KernelArena {
	return new KernelArena(KernelArena.floats(lengths), variant);
}

/** Uniform values in [-1, 1) from a fixed linear congruential sequence. */
export function fillRandom(values: Float32Array, seed: number): Float32Array {
	let state = seed >>> 0;
	for (let i = 0; i < values.length; i++) {
		state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
		values[i] = (state / 2 ** 31) - 1;
	}

	return values;
}

/** Every element within `tolerance` (times the expected array's largest magnitude, at least 1) of the naive result. */
export function assertNear(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
	t.is(actual.length, expected.length, `${what}: length`);
	let scale = 1;
	for (let i = 0; i < expected.length; i++) {
		scale = Math.max(scale, Math.abs(expected[i]));
	}

	let worst = 0;
	let where = -1;
	for (let i = 0; i < expected.length; i++) {
		const difference = Math.abs(actual[i] - expected[i]);
		// NaN fails too.
		if (!(difference <= worst)) {
			worst = difference;
			where = i;
		}
	}

	t.true(worst <= tolerance * scale, `${what}: element ${where} is ${actual[where]}, the naive loop gives ${expected[where]}`);
}

/** TensorFlow's 'same' padding: (k - 1) / 2 before. */
const before = (k: number): number => Math.floor((k - 1) / 2);

/** The input pixel channel a window tap reads, or -1 outside the image. */
function source(conv: ConvShape, b: number, y: number, x: number, dy: number, dx: number, ch: number): number {
	const sy = y + dy - before(conv.kernelSize);
	const sx = x + dx - before(conv.kernelSize);
	return sy < 0 || sy >= conv.height || sx < 0 || sx >= conv.width ? -1 : (((((b * conv.height) + sy) * conv.width) + sx) * conv.channels) + ch;
}

/** Calls f(output index, input index or -1, kernel index) for every multiply of the convolution, in double by the caller. */
export function eachProduct(conv: ConvShape, rows: number, f: (out: number, inp: number, w: number) => void): void {
	const {height, width, channels, filters, kernelSize: k} = conv;
	for (let b = 0; b < rows; b++) {
		for (let y = 0; y < height; y++) {
			for (let x = 0; x < width; x++) {
				for (let dy = 0; dy < k; dy++) {
					for (let dx = 0; dx < k; dx++) {
						for (let ch = 0; ch < channels; ch++) {
							const inp = source(conv, b, y, x, dy, dx, ch);
							for (let fi = 0; fi < filters; fi++) {
								f((((((b * height) + y) * width) + x) * filters) + fi, inp, (((((dy * k) + dx) * channels) + ch) * filters) + fi);
							}
						}
					}
				}
			}
		}
	}
}

/** The convolution (+ bias), its filter gradient and its input gradient for the output gradient dz, by the naive loop in double. */
export function naiveConv(conv: ConvShape, rows: number, arrays: {input: Float32Array; kernel: Float32Array; bias: Float32Array; dz: Float32Array}): {z: Float64Array; dkernel: Float64Array; dInput: Float64Array} {
	const {input, kernel, bias, dz} = arrays;
	const z = new Float64Array(dz.length);
	const dkernel = new Float64Array(kernel.length);
	const dInput = new Float64Array(input.length);
	for (let i = 0; i < z.length; i++) {
		z[i] = bias[i % conv.filters];
	}

	eachProduct(conv, rows, (out, inp, w) => {
		if (inp >= 0) {
			z[out] += input[inp] * kernel[w];
			dkernel[w] += input[inp] * dz[out];
			dInput[inp] += dz[out] * kernel[w];
		}
	});
	return {z, dkernel, dInput};
}

/** 2x2 max pooling, stride 2, odd edges dropped; the winner is the first largest in row-major window order. */
export function naiveMaxpool(input: ArrayLike<number>, batch: number, h: number, w: number, c: number): {output: number[]; which: number[]} {
	const output: number[] = [];
	const which: number[] = [];
	for (let b = 0; b < batch; b++) {
		for (let y = 0; y < Math.floor(h / 2); y++) {
			for (let x = 0; x < Math.floor(w / 2); x++) {
				for (let ch = 0; ch < c; ch++) {
					let best = -1;
					for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
						const index = (((((b * h) + (2 * y) + dy) * w) + (2 * x) + dx) * c) + ch;
						if (best === -1 || input[index] > input[best]) {
							best = index;
						}
					}

					output.push(input[best]);
					which.push(best);
				}
			}
		}
	}

	return {output, which};
}

/**
 * A test of a convolution with its 2x2 max pooling fused (kernels/conv.ts FusedPool): an arena with the convolution's
 * arrays, the fused pass's pooled map and winners (NaN and -1 until written), the unfused kernels' (the pass into z,
 * then maxpool and maxpool_backward) to compare with, the pooled map's gradient, and room for `more` arrays.
 */
export function pooledCase(conv: ConvShape, rows: number, variant: KernelVariant, more: number[]) {
	const {height, width, channels, filters, kernelSize} = conv;
	const inputs = rows * height * width * channels;
	const outputs = rows * height * width * filters;
	const pooled = rows * Math.floor(height / 2) * Math.floor(width / 2) * filters;
	const weights = kernelSize * kernelSize * channels * filters;
	const arena = arenaFor([inputs, outputs, outputs, weights, weights, weights, filters, pooled, pooled, pooled, pooled, pooled, ...more], variant);
	return {
		arena,
		input: fillRandom(arena.allocate(inputs), inputs + 3),
		z: arena.allocate(outputs),
		dz: arena.allocate(outputs),
		kernel: fillRandom(arena.allocate(weights), weights + 5),
		dkernel: arena.allocate(weights).fill(Number.NaN),
		unfusedDkernel: arena.allocate(weights),
		bias: fillRandom(arena.allocate(filters), filters + 7),
		pool: {pooled: arena.allocate(pooled).fill(Number.NaN), which: arena.allocateInt(pooled).fill(-1)},
		unfused: {pooled: arena.allocate(pooled), which: arena.allocateInt(pooled)},
		dPooled: fillRandom(arena.allocate(pooled), pooled + 11),
	};
}

/** The pooled map's gradient where each window's winner is, zeros elsewhere (what maxpool_backward writes), by a plain loop. */
export function spreadToWinners(dPooled: Float32Array, which: Int32Array, outputs: number): Float32Array {
	const spread = new Float32Array(outputs);
	for (const [i, winner] of which.entries()) {
		spread[winner] = dPooled[i];
	}

	return spread;
}
