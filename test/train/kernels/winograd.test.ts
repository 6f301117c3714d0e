import test from 'ava';
import {type ConvShape, type WinogradBuffers, type WinogradPlan, winogradBackward, winogradForward, winogradKernelLength, winogradMatrices, winogradPlan, winogradTransforms, winogradTransformsLength, winogradWorkLength} from '../../../src/train/kernels/conv.js';
import {at, type KernelArena} from '../../../src/train/kernels/load.js';
import {arenaFor, assertNear, fillRandom, naiveConv, naiveMaxpool, pooledCase, runsHere, spreadToWinners, VARIANTS} from './helpers.js';

/**
 * Shapes [height, width, channels, filters, kernel size, images, tile, chunk]: odd and even maps, maps that the tiles
 * overrun and one smaller than the kernel, both kernel sizes with their own tiles (F(2x2, 5x5), F(4x4, 3x3)) and the
 * others (F(4x4, 5x5) on 8x8 input tiles, F(2x2, 3x3) on 4x4), channel and filter counts past the 8-wide panels,
 * images in chunks that do and do not divide the batch, and the 5x5 32-64 CNN's second convolution.
 */
const shapes: Array<[number, number, number, number, number, number, number, number]> = [
	[7, 7, 8, 12, 5, 3, 2, 2], [14, 14, 32, 64, 5, 2, 2, 1], [8, 6, 16, 8, 5, 2, 4, 1], [6, 6, 8, 16, 3, 3, 4, 2],
	[9, 7, 12, 20, 3, 2, 4, 1], [5, 9, 20, 8, 3, 1, 2, 1], [3, 2, 8, 4, 5, 2, 2, 2], [14, 14, 8, 16, 3, 4, 4, 3],
];

/** Float32 rounding through the transforms, relative to the largest expected value, by input tile side (measured: at most 5e-7, 8e-6, 1.2e-5). */
const TOLERANCE: Record<number, number> = {4: 2e-6, 6: 3e-5, 8: 1e-4};

/** Lengths of a Winograd convolution's own arrays (kernels/conv.ts WinogradBuffers). */
const winogradLengths = (conv: ConvShape, plan: WinogradPlan): number[] => [winogradTransformsLength(conv, plan), winogradKernelLength(conv, plan), winogradWorkLength(conv, plan)];

/** A Winograd convolution's own arrays in the arena, the matrices filled, the scratch NaN (a pass must not read what it did not write). */
function winogradBuffers(arena: KernelArena, conv: ConvShape, plan: WinogradPlan): WinogradBuffers {
	const buffers = {
		transforms: arena.allocate(winogradTransformsLength(conv, plan)),
		u: arena.allocate(winogradKernelLength(conv, plan)),
		work: arena.allocate(winogradWorkLength(conv, plan)).fill(Number.NaN),
	};
	winogradTransforms(conv, plan, buffers.transforms);
	return buffers;
}

for (const [variant, [height, width, channels, filters, kernelSize, rows, tile, chunk]] of VARIANTS.flatMap(variant => shapes.map(shape => [variant, shape] as const))) {
	const conv: ConvShape = {height, width, channels, filters, kernelSize};
	const plan: WinogradPlan = {tile, chunk};
	test(`${variant}: Winograd F(${tile}x${tile}, ${kernelSize}x${kernelSize}) forward, filter and input gradients equal naive loops: ${height}x${width}x${channels}, ${filters} filters, ${rows} images, ${chunk} a chunk`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const inputs = rows * height * width * channels;
		const outputs = rows * height * width * filters;
		const weights = kernelSize * kernelSize * channels * filters;
		const arena = arenaFor([inputs, inputs, outputs, outputs, weights, weights, filters, ...winogradLengths(conv, plan)], variant);
		const input = fillRandom(arena.allocate(inputs), inputs);
		const dInput = arena.allocate(inputs).fill(Number.NaN);
		const z = arena.allocate(outputs).fill(Number.NaN);
		const dz = fillRandom(arena.allocate(outputs), outputs + 1);
		const kernel = fillRandom(arena.allocate(weights), weights);
		const dkernel = arena.allocate(weights).fill(Number.NaN);
		const bias = fillRandom(arena.allocate(filters), filters);
		const buffers = winogradBuffers(arena, conv, plan);
		const {kernels} = arena;
		const tolerance = TOLERANCE[tile + kernelSize - 1];

		const expected = naiveConv(conv, rows, {input, kernel, bias, dz});
		winogradForward(kernels, conv, plan, rows, {...buffers, input, kernel, bias, z});
		assertNear(t, z, expected.z, tolerance, 'forward');
		winogradBackward(kernels, conv, plan, rows, {...buffers, input, dz, dkernel, dInput});
		assertNear(t, dkernel, expected.dkernel, tolerance, 'filter gradient');
		assertNear(t, dInput, expected.dInput, tolerance, 'input gradient');
		// Without an input gradient (a network's first convolution), the filter gradient alone.
		dkernel.fill(Number.NaN);
		winogradBackward(kernels, conv, plan, rows, {...buffers, input, dz, dkernel, dInput: undefined});
		assertNear(t, dkernel, expected.dkernel, tolerance, 'filter gradient alone');
		z.fill(Number.NaN);
		winogradForward(kernels, conv, plan, rows, {...buffers, input, kernel, bias: undefined, z});
		assertNear(t, z, expected.z.map((value, i) => value - bias[i % filters]), tolerance, 'forward without bias');
	});
}

/**
 * Shapes as above for the pooling fused into the passes: the 5x5 32-64 CNN's second convolution, odd maps (the pool
 * drops their last row and column), tiles that overrun the map, and 2x2 tiles.
 */
const pooledShapes: Array<[number, number, number, number, number, number, number, number]> = [
	[14, 14, 32, 64, 5, 2, 4, 1], [7, 7, 8, 12, 5, 3, 4, 2], [10, 9, 12, 16, 3, 2, 4, 2], [8, 6, 16, 8, 3, 2, 2, 1],
];

for (const [variant, [height, width, channels, filters, kernelSize, rows, tile, chunk]] of VARIANTS.flatMap(variant => pooledShapes.map(shape => [variant, shape] as const))) {
	const conv: ConvShape = {height, width, channels, filters, kernelSize};
	const plan: WinogradPlan = {tile, chunk};
	test(`${variant}: Winograd F(${tile}x${tile}, ${kernelSize}x${kernelSize}) with 2x2 max pooling fused gives maxpool's output and winners and the gradients through them, to the bit: ${height}x${width}x${channels}, ${filters} filters, ${rows} images`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const inputs = rows * height * width * channels;
		const {arena, input, z, dz, kernel, dkernel, unfusedDkernel, bias, pool, unfused, dPooled} = pooledCase(conv, rows, variant, [inputs, inputs, ...winogradLengths(conv, plan)]);
		const [dInput, unfusedDInput] = [arena.allocate(inputs).fill(Number.NaN), arena.allocate(inputs)];
		const buffers = winogradBuffers(arena, conv, plan);
		const {kernels} = arena;

		// The unfused kernels: the pass into z, maxpool, and back through maxpool_backward.
		winogradForward(kernels, conv, plan, rows, {...buffers, input, kernel, bias, z});
		kernels.maxpool(at(z), at(unfused.pooled), at(unfused.which), rows, height, width, filters);
		kernels.maxpool_backward(at(dPooled), at(unfused.which), at(dz), rows, height, width, filters);
		winogradBackward(kernels, conv, plan, rows, {...buffers, input, dz, dkernel: unfusedDkernel, dInput: unfusedDInput});

		winogradForward(kernels, conv, plan, rows, {...buffers, input, kernel, bias, z: new Float32Array(0), pool});
		t.deepEqual([...pool.pooled], [...unfused.pooled], 'pooled output');
		t.deepEqual([...pool.which], [...unfused.which], 'winners');
		winogradBackward(kernels, conv, plan, rows, {...buffers, input, dz: dPooled, which: pool.which, dkernel, dInput});
		t.deepEqual([...dkernel], [...unfusedDkernel], 'filter gradient');
		t.deepEqual([...dInput], [...unfusedDInput], 'input gradient');

		// And against float64 loops: the pool of the naive convolution, and the naive gradients of the pooled gradient spread to the winners.
		const tolerance = TOLERANCE[tile + kernelSize - 1];
		const expected = naiveConv(conv, rows, {input, kernel, bias, dz: spreadToWinners(dPooled, pool.which, z.length)});
		assertNear(t, pool.pooled, naiveMaxpool(expected.z, rows, height, width, filters).output, tolerance, 'pooled output, naive');
		assertNear(t, dkernel, expected.dkernel, tolerance, 'filter gradient, naive');
		assertNear(t, dInput, expected.dInput, tolerance, 'input gradient, naive');
	});
}

test('the transform matrices compute the 1-D correlation exactly in double', t => {
	for (const [m, r] of [[2, 3], [4, 3], [6, 3], [2, 5], [4, 5]]) {
		const {bt, at, g} = winogradMatrices(m, r);
		const n = m + r - 1;
		for (let trial = 0; trial < 5; trial++) {
			const d = fillRandom(new Float32Array(n), (17 * trial) + n);
			const k = fillRandom(new Float32Array(r), (31 * trial) + r);
			const gk = g.map(row => row.reduce((sum, value, i) => sum + (value * k[i]), 0));
			const bd = bt.map(row => row.reduce((sum, value, i) => sum + (value * d[i]), 0));
			const y = at.map(row => row.reduce((sum, value, j) => sum + (value * gk[j] * bd[j]), 0));
			const direct = y.map((_, i) => k.reduce((sum, value, q) => sum + (value * d[i + q]), 0));
			assertNear(t, y, direct, 1e-12, `F(${m}, ${r})`);
		}

		t.true(bt.flat().every(value => Number.isInteger(value)), `F(${m}, ${r}): B^T in small integers`);
	}
});

test('winogradPlan takes Winograd for 3x3 and 5x5 kernels where channels filters / (channels + filters) >= 10, in lanes of 4', t => {
	t.deepEqual(winogradPlan({height: 14, width: 14, channels: 32, filters: 64, kernelSize: 5}), {tile: 4, chunk: 3});
	t.deepEqual(winogradPlan({height: 7, width: 7, channels: 16, filters: 32, kernelSize: 3}), {tile: 4, chunk: 12});
	t.is(winogradPlan({height: 28, width: 28, channels: 1, filters: 32, kernelSize: 5}), undefined);
	t.is(winogradPlan({height: 14, width: 14, channels: 8, filters: 16, kernelSize: 3}), undefined);
	t.is(winogradPlan({height: 14, width: 14, channels: 12, filters: 30, kernelSize: 3}), undefined);
	t.is(winogradPlan({height: 14, width: 14, channels: 32, filters: 32, kernelSize: 7}), undefined);
});
