import test from 'ava';
import {convAlgorithm, convDirectFilterGradient, convDirectForward, type ConvShape, convFilterGradient, convForward, convInputGradient, directConv, paddedLength, tableLength} from '../../../src/train/kernels/conv.js';
import {at} from '../../../src/train/kernels/load.js';
import {arenaFor, assertNear, fillRandom, naiveConv, naiveMaxpool, pooledCase, runsHere, spreadToWinners, VARIANTS} from './helpers.js';

/**
 * Shapes [height, width, channels, filters, kernel size, images]: filters past the 8-wide panels, windows (k k c)
 * past the 256-step blocks, pixels past the 4-row tiles and 128-row blocks, even kernels (padding 0 before, 1
 * after), 1x1 kernels, one channel, one filter.
 */
const shapes: Array<[number, number, number, number, number, number]> = [
	[5, 7, 3, 5, 3, 2], [4, 4, 1, 9, 2, 3], [6, 5, 2, 17, 5, 1], [3, 3, 4, 1, 1, 2], [9, 8, 11, 8, 5, 2], [7, 7, 1, 32, 5, 3], [2, 3, 6, 4, 4, 1],
];

for (const [variant, [height, width, channels, filters, kernelSize, rows]] of VARIANTS.flatMap(variant => shapes.map(shape => [variant, shape] as const))) {
	const conv: ConvShape = {height, width, channels, filters, kernelSize};
	test(`${variant}: convolution, filter gradient and input gradient equal naive loops: ${height}x${width}x${channels}, ${filters} filters ${kernelSize}x${kernelSize}, ${rows} images`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const inputs = rows * height * width * channels;
		const outputs = rows * height * width * filters;
		const weights = kernelSize * kernelSize * channels * filters;
		const arena = arenaFor([inputs, inputs, paddedLength(conv, rows, channels), outputs, outputs, paddedLength(conv, rows, filters), weights, weights, weights, filters, tableLength(conv, rows)], variant);
		const input = fillRandom(arena.allocate(inputs), inputs);
		const dInput = arena.allocate(inputs).fill(Number.NaN);
		const padded = arena.allocate(paddedLength(conv, rows, channels));
		const z = arena.allocate(outputs).fill(Number.NaN);
		const dz = fillRandom(arena.allocate(outputs), outputs + 1);
		const paddedDz = arena.allocate(paddedLength(conv, rows, filters));
		const kernel = fillRandom(arena.allocate(weights), weights);
		const dkernel = arena.allocate(weights).fill(Number.NaN);
		const flipped = arena.allocate(weights);
		const bias = fillRandom(arena.allocate(filters), filters);
		const tables = arena.allocateInt(tableLength(conv, rows));
		const {kernels} = arena;

		const {z: expectedZ, dkernel: expectedDKernel, dInput: expectedDInput} = naiveConv(conv, rows, {input, kernel, bias, dz});
		convForward(kernels, conv, rows, {input, padded, tables, kernel, bias, z});
		assertNear(t, z, expectedZ, 1e-5, 'forward');
		convFilterGradient(kernels, conv, rows, {padded, dz, tables, dkernel});
		assertNear(t, dkernel, expectedDKernel, 1e-5, 'filter gradient');
		convInputGradient(kernels, conv, rows, {dz, paddedDz, flipped, tables, kernel, dInput});
		assertNear(t, dInput, expectedDInput, 1e-5, 'input gradient');
		z.fill(Number.NaN);
		convForward(kernels, conv, rows, {input, padded, tables, kernel, bias: undefined, z});
		assertNear(t, z, expectedZ.map((value, i) => value - bias[i % filters]), 1e-5, 'forward without bias');
	});
}

/**
 * Direct convolution's shapes [height, width, channels, filters, kernel size, images]: 1 to 4 channels; filters in
 * 16-wide groups and the narrower last groups (4, 8 and 12 wide) the kernels also take; odd widths (a last pixel
 * alone) and odd tap counts (a last tap alone); an even kernel; 1x1; the 5x5 32-64 CNN's first convolution.
 */
const directShapes: Array<[number, number, number, number, number, number]> = [
	[7, 7, 1, 32, 5, 3], [5, 6, 3, 20, 3, 2], [4, 5, 2, 12, 5, 2], [6, 5, 4, 8, 2, 1], [3, 3, 1, 16, 1, 2], [9, 4, 1, 4, 3, 1], [28, 28, 1, 32, 5, 2],
];

for (const [variant, [height, width, channels, filters, kernelSize, rows]] of VARIANTS.flatMap(variant => directShapes.map(shape => [variant, shape] as const))) {
	const conv: ConvShape = {height, width, channels, filters, kernelSize};
	test(`${variant}: direct convolution and filter gradient equal naive loops: ${height}x${width}x${channels}, ${filters} filters ${kernelSize}x${kernelSize}, ${rows} images`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const inputs = rows * height * width * channels;
		const outputs = rows * height * width * filters;
		const weights = kernelSize * kernelSize * channels * filters;
		const arena = arenaFor([inputs, paddedLength(conv, rows, channels), outputs, outputs, weights, weights, filters], variant);
		const input = fillRandom(arena.allocate(inputs), inputs);
		const padded = arena.allocate(paddedLength(conv, rows, channels));
		const z = arena.allocate(outputs).fill(Number.NaN);
		const dz = fillRandom(arena.allocate(outputs), outputs + 1);
		const kernel = fillRandom(arena.allocate(weights), weights);
		const dkernel = arena.allocate(weights).fill(Number.NaN);
		const bias = fillRandom(arena.allocate(filters), filters);
		const {kernels} = arena;

		const expected = naiveConv(conv, rows, {input, kernel, bias, dz});
		convDirectForward(kernels, conv, rows, {input, padded, kernel, bias, z});
		assertNear(t, z, expected.z, 1e-5, 'forward');
		convDirectFilterGradient(kernels, conv, rows, {padded, dz, dkernel});
		assertNear(t, dkernel, expected.dkernel, 1e-5, 'filter gradient');
		z.fill(Number.NaN);
		convDirectForward(kernels, conv, rows, {input, padded, kernel, bias: undefined, z});
		assertNear(t, z, expected.z.map((value, i) => value - bias[i % filters]), 1e-5, 'forward without bias');
	});
}

// The pooling fused into the direct passes, on the shapes above: 8-wide filter groups and a 4-wide rest (20, 12, 4), odd maps (the pool drops
// their last row and column), even and 1x1 kernels.
for (const [variant, [height, width, channels, filters, kernelSize, rows]] of VARIANTS.flatMap(variant => directShapes.map(shape => [variant, shape] as const))) {
	const conv: ConvShape = {height, width, channels, filters, kernelSize};
	test(`${variant}: direct convolution with 2x2 max pooling fused gives maxpool's output and winners and the filter gradient through them, to the bit: ${height}x${width}x${channels}, ${filters} filters ${kernelSize}x${kernelSize}, ${rows} images`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const {arena, input, z, dz, kernel, dkernel, unfusedDkernel, bias, pool, unfused, dPooled} = pooledCase(conv, rows, variant, [paddedLength(conv, rows, channels), width * filters]);
		const padded = arena.allocate(paddedLength(conv, rows, channels));
		const row = arena.allocate(width * filters).fill(Number.NaN);
		const {kernels} = arena;

		convDirectForward(kernels, conv, rows, {input, padded, kernel, bias, z});
		kernels.maxpool(at(z), at(unfused.pooled), at(unfused.which), rows, height, width, filters);
		kernels.maxpool_backward(at(dPooled), at(unfused.which), at(dz), rows, height, width, filters);
		convDirectFilterGradient(kernels, conv, rows, {padded, dz, dkernel: unfusedDkernel});

		convDirectForward(kernels, conv, rows, {input, padded, kernel, bias, z: new Float32Array(0), pool});
		t.deepEqual([...pool.pooled], [...unfused.pooled], 'pooled output');
		t.deepEqual([...pool.which], [...unfused.which], 'winners');
		convDirectFilterGradient(kernels, conv, rows, {padded, dz: dPooled, pooled: {which: pool.which, row}, dkernel});
		t.deepEqual([...dkernel], [...unfusedDkernel], 'filter gradient');

		const expected = naiveConv(conv, rows, {input, kernel, bias, dz: spreadToWinners(dPooled, pool.which, z.length)});
		assertNear(t, pool.pooled, naiveMaxpool(expected.z, rows, height, width, filters).output, 1e-5, 'pooled output, naive');
		assertNear(t, dkernel, expected.dkernel, 1e-5, 'filter gradient, naive');
	});
}

test('directConv takes few input channels and filters in 16-wide groups; convAlgorithm names each choice', t => {
	const first = {height: 28, width: 28, channels: 1, filters: 32, kernelSize: 5};
	t.true(directConv(first));
	t.is(convAlgorithm(first), 'direct');
	t.false(directConv({...first, filters: 8}));
	t.is(convAlgorithm({...first, filters: 8}), 'implicit GEMM');
	t.false(directConv({...first, channels: 8}));
	t.is(convAlgorithm({height: 14, width: 14, channels: 32, filters: 64, kernelSize: 5}), 'Winograd F(4x4, 5x5)');
});

test('pad_images puts the images inside zero borders of the given widths', t => {
	const [batch, h, w, c, before, after] = [2, 3, 2, 3, 1, 2];
	const ph = h + before + after;
	const pw = w + before + after;
	const arena = arenaFor([batch * h * w * c, batch * ph * pw * c]);
	const input = fillRandom(arena.allocate(batch * h * w * c), 5);
	const padded = arena.allocate(batch * ph * pw * c).fill(Number.NaN);
	arena.kernels.pad_images(at(input), at(padded), batch, h, w, c, before, after);
	const expected = new Float32Array(padded.length);
	for (let b = 0; b < batch; b++) {
		for (let y = 0; y < h; y++) {
			for (let x = 0; x < w; x++) {
				for (let ch = 0; ch < c; ch++) {
					expected[(((((b * ph) + y + before) * pw) + x + before) * c) + ch] = input[(((((b * h) + y) * w) + x) * c) + ch];
				}
			}
		}
	}

	t.deepEqual([...padded], [...expected]);
});

test('conv_flip turns the kernel half a turn and swaps its channel axes', t => {
	const [k, c, f] = [3, 2, 5];
	const arena = arenaFor([k * k * c * f, k * k * c * f]);
	const kernel = fillRandom(arena.allocate(k * k * c * f), 9);
	const flipped = arena.allocate(k * k * c * f).fill(Number.NaN);
	arena.kernels.conv_flip(at(kernel), at(flipped), k, c, f);
	const expected = new Float32Array(kernel.length);
	for (let dy = 0; dy < k; dy++) {
		for (let dx = 0; dx < k; dx++) {
			for (let ch = 0; ch < c; ch++) {
				for (let fi = 0; fi < f; fi++) {
					expected[(((((k - 1 - dy) * k) + k - 1 - dx) * f) + fi) * c + ch] = kernel[(((((dy * k) + dx) * c) + ch) * f) + fi];
				}
			}
		}
	}

	t.deepEqual([...flipped], [...expected]);
});
