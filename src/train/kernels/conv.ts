/**
 * A convolution ('same' padding as TensorFlow's, stride 1, NHWC) and its two gradients as calls of simd.c's
 * implicit-GEMM kernels: the input padded once, then the windows read in place through offset tables, so no
 * im2col patch matrix (k*k times the input) is written or read. The input gradient is itself such a convolution:
 * of the output gradient, padded the other way round, by the kernel turned half a turn (conv_flip). Two other
 * algorithms below, chosen per layer: direct convolution for few input channels, Winograd for many.
 */
import {at, type Kernels} from './load.js';

/** A convolution's shape: input height, width and channels, filters, and the (square) kernel's size. */
export interface ConvShape {
	height: number;
	width: number;
	channels: number;
	filters: number;
	kernelSize: number;
}

/** Zeros before the image on each axis ('same' padding as TensorFlow's: (k - 1) / 2 before, the rest after). */
const before = (conv: ConvShape): number => Math.floor((conv.kernelSize - 1) / 2);
const paddedHeight = (conv: ConvShape): number => conv.height + conv.kernelSize - 1;
const paddedWidth = (conv: ConvShape): number => conv.width + conv.kernelSize - 1;

/** Floats of `rows` padded images of `channels` channels (the input's, or for the input gradient the filters'). */
export const paddedLength = (conv: ConvShape, rows: number, channels: number): number => rows * paddedHeight(conv) * paddedWidth(conv) * channels;

/** Ints of the offset tables of a pass over `rows` images, forward or backward. */
export const tableLength = (conv: ConvShape, rows: number): number => (rows * conv.height * conv.width) + (conv.kernelSize * conv.kernelSize * Math.max(conv.channels, conv.filters));

/** z = input * kernel (+ bias) over `rows` images; `padded` keeps the padded input for convFilterGradient. */
export function convForward(kernels: Kernels, conv: ConvShape, rows: number, buffers: {input: Float32Array; padded: Float32Array; tables: Int32Array; kernel: Float32Array; bias: Float32Array | undefined; z: Float32Array}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {input, padded, tables, kernel, bias, z} = buffers;
	kernels.pad_images(at(input), at(padded), rows, height, width, channels, before(conv), kernelSize - 1 - before(conv));
	kernels.conv_forward(at(padded), at(kernel), bias ? at(bias) : 0, at(z), at(tables), rows, paddedHeight(conv), paddedWidth(conv), channels, kernelSize, filters);
}

/** dkernel from the padded input convForward kept and the output gradient dz. */
export function convFilterGradient(kernels: Kernels, conv: ConvShape, rows: number, buffers: {padded: Float32Array; dz: Float32Array; tables: Int32Array; dkernel: Float32Array}): void {
	const {padded, dz, tables, dkernel} = buffers;
	kernels.conv_filter_gradient(at(padded), at(dz), at(dkernel), at(tables), rows, paddedHeight(conv), paddedWidth(conv), conv.channels, conv.kernelSize, conv.filters);
}

/** dInput from the output gradient dz; `paddedDz` (paddedLength with the filters' channels) and `flipped` (the kernel's length) are scratch. */
export function convInputGradient(kernels: Kernels, conv: ConvShape, rows: number, buffers: {dz: Float32Array; paddedDz: Float32Array; flipped: Float32Array; tables: Int32Array; kernel: Float32Array; dInput: Float32Array}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {dz, paddedDz, flipped, tables, kernel, dInput} = buffers;
	const last = kernelSize - 1;
	kernels.pad_images(at(dz), at(paddedDz), rows, height, width, filters, last - before(conv), before(conv));
	kernels.conv_flip(at(kernel), at(flipped), kernelSize, channels, filters);
	kernels.conv_forward(at(paddedDz), at(flipped), 0, at(dInput), at(tables), rows, paddedHeight(conv), paddedWidth(conv), filters, kernelSize, channels);
}

/**
 * A convolution's 2x2 max pooling done in its own pass (Winograd's or the direct one): the pooled map and each output's
 * winner (an offset into z), as simd.c maxpool writes them, z itself never written.
 */
export interface FusedPool {
	pooled: Float32Array;
	which: Int32Array;
}

/**
 * Whether this convolution runs directly (simd.c conv_direct_*: forward and filter gradient; its input gradient, if a
 * network needs one, stays implicit GEMM's): on 1 to 4 input channels, where implicit GEMM's products are only k k c
 * steps deep, and filters in 16-wide groups. Measured on this project's machine (fused kernels, 32 images of 28x28, best
 * of 25 rounds): 1 -> 32 channels 5x5, forward 0.86 ms against implicit GEMM's 0.96-1.21, filter gradient 0.79-0.81
 * against 0.89-0.94; 3 -> 32 on 32x32 likewise; 1 -> 8 channels 3x3 (4-wide groups) no faster, so not below 16 filters.
 */
export function directConv(conv: ConvShape): boolean {
	return conv.channels <= 4 && conv.filters % 16 === 0;
}

/**
 * z = input * kernel (+ bias) over `rows` images, directly; `padded` keeps the padded input for convDirectFilterGradient.
 * With `pool`, z's 2x2 max pooling instead of z, as winogradForward's (each window's 4 pixels in registers).
 */
export function convDirectForward(kernels: Kernels, conv: ConvShape, rows: number, buffers: {input: Float32Array; padded: Float32Array; kernel: Float32Array; bias: Float32Array | undefined; z: Float32Array; pool?: FusedPool}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {input, padded, kernel, bias, z, pool} = buffers;
	kernels.pad_images(at(input), at(padded), rows, height, width, channels, before(conv), kernelSize - 1 - before(conv));
	kernels.conv_direct_forward(at(padded), at(kernel), bias ? at(bias) : 0, pool ? 0 : at(z), pool ? at(pool.pooled) : 0, pool ? at(pool.which) : 0, rows, paddedHeight(conv), paddedWidth(conv), channels, kernelSize, filters);
}

/**
 * dkernel from the padded input convDirectForward kept and the output gradient dz, directly. With `pooled` (the
 * winners of a convDirectForward with `pool`, and room for one row of the full map's gradient, width x filters),
 * dz is the gradient of the pooled map, spread row by row as maxpool_backward would spread it.
 */
export function convDirectFilterGradient(kernels: Kernels, conv: ConvShape, rows: number, buffers: {padded: Float32Array; dz: Float32Array; pooled?: {which: Int32Array; row: Float32Array}; dkernel: Float32Array}): void {
	const {padded, dz, pooled, dkernel} = buffers;
	kernels.conv_direct_filter_gradient(at(padded), at(dz), pooled ? at(pooled.which) : 0, pooled ? at(pooled.row) : 0, at(dkernel), rows, paddedHeight(conv), paddedWidth(conv), conv.channels, conv.kernelSize, conv.filters);
}

/**
 * Winograd convolution (simd.c winograd_*): F(m x m, k x k) turns each m x m tile of outputs into n x n = (m + k - 1)^2
 * products per channel pair where the windows take m m k k, so a 5x5 convolution with 2x2 tiles does 36 multiplies
 * where implicit GEMM does 100, with 4x4 tiles 64 where it does 400. The transforms are Toom-Cook's at the points 0,
 * ±1, ±2, ±1/2 (as many as n - 1 needs) and infinity; larger tiles save more but round worse in float32.
 */
export interface WinogradPlan {
	/** m: outputs per tile side. */
	tile: number;
	/** Images per chunk of the passes (their transformed tiles stay in cache). */
	chunk: number;
}

/** The interpolation points, in the order a transform of n points takes its first n - 1. */
const POINTS = [0, 1, -1, 2, -2, 0.5, -0.5];
/**
 * Output tile sides by kernel size: F(4x4, 3x3) on 6x6 input tiles, F(4x4, 5x5) on 8x8. Measured on this project's
 * machine (bench/kernels.ts winogradGflops, 14x14 maps, 32 images, fused kernels), in effective GFLOP/s of the forward
 * pass: 5x5, 32 -> 64 channels: F(4x4) 114-120, F(2x2) 83-84, implicit GEMM 48; 3x3, 16 -> 32: F(4x4) 51, F(6x6) 36 (its
 * tiles overrun a 14-wide map by 4), implicit GEMM 47.
 */
const WINOGRAD_TILES: Partial<Record<number, number>> = {3: 4, 5: 4};
/** Transformed tiles a chunk aims at: with 32 channels and 64 filters on 8x8 tiles the chunk's V and M take 1.2 MB. */
const CHUNK_TILES = 48;

/**
 * How this convolution runs: Winograd where it does fewer multiplies and the transforms do not eat the saving, else
 * undefined (implicit GEMM). The products cost channels x filters per tile point, the transforms channels + filters:
 * Winograd wins where channels filters / (channels + filters) >= 10 (measured: 16 -> 32 channels wins by a little, 8 ->
 * 16 loses by half; the first convolution of a network, on one channel, stays on implicit GEMM). Channels and filters
 * must fill lanes of 4.
 */
export function winogradPlan(conv: ConvShape): WinogradPlan | undefined {
	const {channels, filters} = conv;
	const tile = WINOGRAD_TILES[conv.kernelSize];
	if (tile === undefined || channels * filters < 10 * (channels + filters) || channels % 4 !== 0 || filters % 4 !== 0) {
		return undefined;
	}

	const tiles = Math.ceil(conv.height / tile) * Math.ceil(conv.width / tile);
	return {tile, chunk: Math.max(1, Math.floor(CHUNK_TILES / tiles))};
}

/** How the SIMD path runs a convolution. */
export type ConvMethod = {kind: 'winograd'; plan: WinogradPlan} | {kind: 'direct'} | {kind: 'implicit GEMM'};

/** The one place the three are ranked: Winograd where winogradPlan takes the layer, else directly where directConv does, else implicit GEMM. */
export function convMethod(conv: ConvShape): ConvMethod {
	const plan = winogradPlan(conv);
	if (plan) {
		return {kind: 'winograd', plan};
	}

	return directConv(conv) ? {kind: 'direct'} : {kind: 'implicit GEMM'};
}

/** 'direct', 'implicit GEMM' or 'Winograd F(4x4, 5x5)': how the SIMD path runs a convolution, for reports. */
export function convAlgorithm(conv: ConvShape): string {
	const method = convMethod(conv);
	return method.kind === 'winograd' ? `Winograd F(${method.plan.tile}x${method.plan.tile}, ${conv.kernelSize}x${conv.kernelSize})` : method.kind;
}

/**
 * The transform matrices of F(m, r) in float64, row-major: BT (n x n), AT (m x n), G (n x r). With A and G the
 * evaluations of a polynomial's coefficients at the points (infinity: the leading coefficient) and V the same n x n
 * evaluation matrix, the linear convolution of g and h is V^-1 ((G g) . (A h)); the correlation the layer computes
 * is its transpose, AT ((G g) . (BT d)) with BT = V^-T. Each row of BT is scaled to small integers, G's row by the inverse.
 */
export function winogradMatrices(m: number, r: number): {bt: number[][]; at: number[][]; g: number[][]} {
	const n = m + r - 1;
	if (n - 1 > POINTS.length) {
		throw new RangeError(`winogradMatrices: F(${m}, ${r}) needs ${n - 1} finite points, there are ${POINTS.length}`);
	}

	const points = POINTS.slice(0, n - 1);
	// Row j evaluates a polynomial of `terms` coefficients at point j; the last row (infinity) takes the leading one.
	const evaluation = (terms: number): number[][] => [
		...points.map(point => Array.from({length: terms}, (_, i) => point ** i)),
		Array.from({length: terms}, (_, i) => (i === terms - 1 ? 1 : 0)),
	];
	const a = evaluation(m);
	const g = evaluation(r);
	const inverse = invert(evaluation(n));
	const bt = inverse[0].map((_, j) => inverse.map(row => row[j]));
	for (const [j, row] of bt.entries()) {
		const scale = integerScale(row);
		bt[j] = row.map(value => Math.round(value * scale));
		g[j] = g[j].map(value => value / scale);
	}

	return {bt, at: a[0].map((_, i) => a.map(row => row[i])), g};
}

/** The smallest whole number that makes every entry of `row` an integer (up to rounding error). */
function integerScale(row: number[]): number {
	for (let scale = 1; ; scale++) {
		if (row.every(value => Math.abs((value * scale) - Math.round(value * scale)) < 1e-9)) {
			return scale;
		}
	}
}

/** The inverse of a square matrix by Gauss-Jordan elimination with partial pivoting. */
function invert(matrix: number[][]): number[][] {
	const n = matrix.length;
	const rows = matrix.map((row, i) => [...row, ...Array.from({length: n}, (_, j) => (i === j ? 1 : 0))]);
	for (let column = 0; column < n; column++) {
		let pivot = column;
		for (let i = column + 1; i < n; i++) {
			if (Math.abs(rows[i][column]) > Math.abs(rows[pivot][column])) {
				pivot = i;
			}
		}

		[rows[column], rows[pivot]] = [rows[pivot], rows[column]];
		const lead = rows[column][column];
		rows[column] = rows[column].map(value => value / lead);
		for (let i = 0; i < n; i++) {
			if (i !== column && rows[i][column] !== 0) {
				const factor = rows[i][column];
				rows[i] = rows[i].map((value, j) => value - (factor * rows[column][j]));
			}
		}
	}

	return rows.map(row => row.slice(n));
}

const side = (conv: ConvShape, plan: WinogradPlan): number => plan.tile + conv.kernelSize - 1;

/** Floats of the transform matrices simd.c reads (BT, AT, G one after the other). */
export const winogradTransformsLength = (conv: ConvShape, plan: WinogradPlan): number => {
	const n = side(conv, plan);
	return (n * n) + (plan.tile * n) + (n * conv.kernelSize);
};

/** Fills `transforms` (winogradTransformsLength floats, in the kernels' memory) with the plan's matrices. */
export function winogradTransforms(conv: ConvShape, plan: WinogradPlan, transforms: Float32Array): void {
	const {bt, at, g} = winogradMatrices(plan.tile, conv.kernelSize);
	transforms.set([...bt.flat(), ...at.flat(), ...g.flat()]);
}

/** Floats of the transformed kernel (n n channels filters). */
export const winogradKernelLength = (conv: ConvShape, plan: WinogradPlan): number => (side(conv, plan) ** 2) * conv.channels * conv.filters;

/** Floats between a pass's point blocks beyond the blocks themselves (simd.c WINO_SKEW: a block's 64 points off one L1 set). */
const WINOGRAD_SKEW = 16;

/** Floats of the scratch a pass needs (simd.c's Winograd comment says what it holds). */
export function winogradWorkLength(conv: ConvShape, plan: WinogradPlan): number {
	const points = side(conv, plan) ** 2;
	const tiles = Math.ceil(conv.height / plan.tile) * Math.ceil(conv.width / plan.tile);
	return (points * ((plan.chunk * tiles * (conv.channels + conv.filters)) + (2 * WINOGRAD_SKEW))) + (2 * points * conv.channels * conv.filters) + (((3 * points) + side(conv, plan)) * Math.max(conv.channels, conv.filters, 64));
}

/** A Winograd convolution's own arrays in the kernels' memory: the matrices, the transformed kernel, and the scratch. */
export interface WinogradBuffers {
	transforms: Float32Array;
	u: Float32Array;
	work: Float32Array;
}

/**
 * z = input * kernel (+ bias) over `rows` images; u keeps the transformed kernel for winogradBackward. With `pool`,
 * the pass writes z's 2x2 max pooling there instead of z (z is then not written and may be empty): the output tiles
 * are pooled while they are in cache, and z's whole map never goes to memory.
 */
export function winogradForward(kernels: Kernels, conv: ConvShape, plan: WinogradPlan, rows: number, buffers: WinogradBuffers & {input: Float32Array; kernel: Float32Array; bias: Float32Array | undefined; z: Float32Array; pool?: FusedPool}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {transforms, u, work, input, kernel, bias, z, pool} = buffers;
	kernels.winograd_kernel(at(kernel), at(u), at(work), at(transforms), channels, filters, plan.tile, kernelSize);
	kernels.winograd_forward(at(input), at(u), bias ? at(bias) : 0, pool ? 0 : at(z), pool ? at(pool.pooled) : 0, pool ? at(pool.which) : 0, at(work), at(transforms), rows, height, width, channels, filters, plan.tile, kernelSize, plan.chunk);
}

/**
 * dkernel, and dInput unless it is undefined, from the output gradient dz, after winogradForward of the same input and
 * kernel. With `which` (the winners of a winogradForward with `pool`), dz is the gradient of the pooled map, and the
 * pass spreads it over the windows itself (maxpool_backward's work, without writing the full map's gradient).
 */
export function winogradBackward(kernels: Kernels, conv: ConvShape, plan: WinogradPlan, rows: number, buffers: WinogradBuffers & {input: Float32Array; dz: Float32Array; which?: Int32Array; dkernel: Float32Array; dInput: Float32Array | undefined}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {transforms, u, work, input, dz, which, dkernel, dInput} = buffers;
	kernels.winograd_backward(at(input), at(dz), which ? at(which) : 0, at(u), at(dkernel), dInput ? at(dInput) : 0, at(work), at(transforms), rows, height, width, channels, filters, plan.tile, kernelSize, plan.chunk);
}
