/**
 * The kernels' speed against the machine's, for bench:epoch: the peak of 4-wide float32 multiply-add (kernels/simd.c
 * peak_madd, a register-only loop), and the convolutions and matrix products of a training step, in GFLOP/s, for
 * either build of the kernels (kernels/load.ts: 'plain' multiplies then adds, 'fma' fuses the two). Each
 * figure is the best of several rounds timed by this process's CPU time, as the machine may be shared (a round that
 * loses the core to another process is not charged for the wait; it can still be slowed by what that process does
 * to the caches).
 */
import {convDirectFilterGradient, convDirectForward, type ConvShape, convFilterGradient, convForward, convInputGradient, paddedLength, tableLength, type WinogradPlan, winogradBackward, winogradForward, winogradKernelLength, winogradTransforms, winogradTransformsLength, winogradWorkLength} from '../src/train/kernels/conv.js';
import {ByteImages} from '../src/train/kernels/gather.js';
import {at, KernelArena, type KernelVariant} from '../src/train/kernels/load.js';
import {copyRows} from '../src/train/loop.js';

/** CPU seconds this process has used. */
const cpuSeconds = (): number => {
	const {user, system} = process.cpuUsage();
	return (user + system) / 1e6;
};

/** Best-of-`rounds` CPU seconds of `run`, each round repeated until it takes at least ~50 ms. */
export function bestSeconds(run: () => void, rounds = 9): number {
	let repeats = 1;
	for (;;) {
		const start = cpuSeconds();
		for (let r = 0; r < repeats; r++) {
			run();
		}

		if (cpuSeconds() - start > 0.05) {
			break;
		}

		repeats *= 2;
	}

	let best = Number.POSITIVE_INFINITY;
	for (let round = 0; round < rounds; round++) {
		const start = cpuSeconds();
		for (let r = 0; r < repeats; r++) {
			run();
		}

		best = Math.min(best, (cpuSeconds() - start) / repeats);
	}

	return best;
}

/** GFLOP/s of the register-only multiply-add loop: the ceiling for every kernel here. */
export function peakGflops(variant: KernelVariant = 'plain'): number {
	const arena = new KernelArena(KernelArena.floats([8]), variant);
	const io = arena.allocate(8);
	const iterations = 1_000_000;
	const seconds = bestSeconds(() => {
		io.set([0.999_999, 0.999_999, 0.999_999, 0.999_999, 1e-6, 1e-6, 1e-6, 1e-6]);
		arena.kernels.peak_madd(at(io), iterations);
	});
	return 96 * iterations / seconds / 1e9;
}

export type ProductKind = 'nn' | 'tn' | 'nt';

/** A dense layer's matrix product: c is m x n, the reduction k long (gemm_tn's m is the reduction: its c is k x n). */
export interface GemmShape {
	kind: ProductKind;
	m: number;
	k: number;
	n: number;
}

/** GFLOP/s of one product of this shape. */
export function gemmGflops({kind, m, k, n}: GemmShape, variant: KernelVariant = 'plain'): number {
	const arena = new KernelArena(KernelArena.floats([m * k, k * n, m * n, n]), variant);
	const a = fillValues(arena.allocate(m * k));
	const b = fillValues(arena.allocate(k * n));
	const c = fillValues(arena.allocate(m * n));
	const bias = arena.allocate(n);
	const {kernels} = arena;
	const run = {
		nn: () => kernels.gemm_nn(at(a), at(b), at(c), m, k, n, at(bias)),
		tn: () => kernels.gemm_tn(at(a), at(c), at(b), m, k, n),
		nt: () => kernels.gemm_nt(at(c), at(b), at(a), m, n, k),
	}[kind];
	return 2 * m * k * n / bestSeconds(run) / 1e9;
}

export type ConvPass = 'forward' | 'filter gradient' | 'input gradient';

/** GFLOP/s of one pass of a convolution over `rows` images (2 k k c filters flops per output pixel), padding and table set-up included. */
export function convGflops(conv: ConvShape, rows: number, pass: ConvPass, variant: KernelVariant = 'plain'): number {
	const {height, width, channels, filters, kernelSize} = conv;
	const input = rows * height * width * channels;
	const output = rows * height * width * filters;
	const weights = kernelSize * kernelSize * channels * filters;
	const arena = new KernelArena(KernelArena.floats([input, paddedLength(conv, rows, channels), output, paddedLength(conv, rows, filters), weights, weights, weights, filters, tableLength(conv, rows)]), variant);
	const buffers = {
		input: fillValues(arena.allocate(input)),
		padded: arena.allocate(paddedLength(conv, rows, channels)),
		z: fillValues(arena.allocate(output)),
		paddedDz: arena.allocate(paddedLength(conv, rows, filters)),
		kernel: fillValues(arena.allocate(weights)),
		dkernel: arena.allocate(weights),
		flipped: arena.allocate(weights),
		bias: arena.allocate(filters),
		tables: arena.allocateInt(tableLength(conv, rows)),
	};
	const {kernels} = arena;
	convForward(kernels, conv, rows, buffers);
	const run = {
		forward: () => {
			convForward(kernels, conv, rows, buffers);
		},
		'filter gradient': () => {
			convFilterGradient(kernels, conv, rows, {...buffers, dz: buffers.z});
		},
		'input gradient': () => {
			convInputGradient(kernels, conv, rows, {...buffers, dz: buffers.z, dInput: buffers.input});
		},
	}[pass];
	return 2 * rows * height * width * kernelSize * kernelSize * channels * filters / bestSeconds(run) / 1e9;
}

/** GFLOP/s of direct convolution's forward pass or filter gradient (conv.ts directConv's layers), padding included. */
export function directGflops(conv: ConvShape, rows: number, pass: 'forward' | 'filter gradient', variant: KernelVariant = 'plain'): number {
	const {height, width, channels, filters, kernelSize} = conv;
	const input = rows * height * width * channels;
	const output = rows * height * width * filters;
	const weights = kernelSize * kernelSize * channels * filters;
	const arena = new KernelArena(KernelArena.floats([input, paddedLength(conv, rows, channels), output, weights, weights, filters]), variant);
	const buffers = {
		input: fillValues(arena.allocate(input)),
		padded: arena.allocate(paddedLength(conv, rows, channels)),
		z: fillValues(arena.allocate(output)),
		kernel: fillValues(arena.allocate(weights)),
		dkernel: arena.allocate(weights),
		bias: arena.allocate(filters),
	};
	const {kernels} = arena;
	convDirectForward(kernels, conv, rows, buffers);
	const run = pass === 'forward'
		? () => {
			convDirectForward(kernels, conv, rows, buffers);
		}
		: () => {
			convDirectFilterGradient(kernels, conv, rows, {...buffers, dz: buffers.z});
		};
	return 2 * rows * height * width * kernelSize * kernelSize * channels * filters / bestSeconds(run) / 1e9;
}

export type WinogradPass = 'forward' | 'both gradients' | 'filter gradient';

/**
 * Effective GFLOP/s of a Winograd pass over `rows` images: the direct convolution's flops (2 k k c filters per output
 * pixel, per gradient) over the pass's time, kernel and output transforms included, so the figure compares with
 * convGflops'. Its backward pass computes both gradients at once ('both gradients': twice the direct flops), or only
 * the filter gradient, as for a network's first convolution.
 */
export function winogradGflops(conv: ConvShape, plan: WinogradPlan, rows: number, pass: WinogradPass, variant: KernelVariant = 'plain'): number {
	const {height, width, channels, filters, kernelSize} = conv;
	const input = rows * height * width * channels;
	const output = rows * height * width * filters;
	const weights = kernelSize * kernelSize * channels * filters;
	const arena = new KernelArena(KernelArena.floats([input, input, output, weights, weights, filters, winogradTransformsLength(conv, plan), winogradKernelLength(conv, plan), winogradWorkLength(conv, plan)]), variant);
	const buffers = {
		input: fillValues(arena.allocate(input)),
		dInput: arena.allocate(input),
		z: fillValues(arena.allocate(output)),
		kernel: fillValues(arena.allocate(weights)),
		dkernel: arena.allocate(weights),
		bias: arena.allocate(filters),
		transforms: arena.allocate(winogradTransformsLength(conv, plan)),
		u: arena.allocate(winogradKernelLength(conv, plan)),
		work: arena.allocate(winogradWorkLength(conv, plan)),
	};
	winogradTransforms(conv, plan, buffers.transforms);
	const {kernels} = arena;
	winogradForward(kernels, conv, plan, rows, buffers);
	const run = {
		forward: () => {
			winogradForward(kernels, conv, plan, rows, buffers);
		},
		'both gradients': () => {
			winogradBackward(kernels, conv, plan, rows, {...buffers, dz: buffers.z});
		},
		'filter gradient': () => {
			winogradBackward(kernels, conv, plan, rows, {...buffers, dz: buffers.z, dInput: undefined});
		},
	}[pass];
	return (pass === 'both gradients' ? 2 : 1) * 2 * rows * height * width * kernelSize * kernelSize * channels * filters / bestSeconds(run) / 1e9;
}

/** Values in [-1, 1), so no product runs on denormals or zeros. */
function fillValues(values: Float32Array): Float32Array {
	for (let i = 0; i < values.length; i++) {
		values[i] = Math.sin(i + 1);
	}

	return values;
}

/** An epoch's worth of images, as Fashion-MNIST's training set has them. */
const GATHER_IMAGES = 60_000;
const GATHER_PIXELS = 784;

/**
 * CPU seconds to gather an epoch of shuffled batches of `batch` images (60,000 of 784 pixels) into a batch buffer in
 * the kernels' memory: 'bytes' by gather_bytes from a byte copy of the images in the arena (what the SIMD path does
 * where the set was decoded from bytes), 'floats' by the training loop's copy of each row from a float array outside
 * it (every other case). Best of 3 rounds: a round is an epoch of random 3 KB rows from 188 MB, or 784 B from 47 MB.
 */
export function gatherSeconds(batch: number, source: 'bytes' | 'floats', variant: KernelVariant = 'plain'): number {
	const length = source === 'bytes' ? GATHER_IMAGES * GATHER_PIXELS : 0;
	const arena = new KernelArena(ByteImages.floats(length, batch) + KernelArena.floats([batch * GATHER_PIXELS]), variant);
	const images = new ByteImages(arena, length, batch);
	const out = arena.allocate(batch * GATHER_PIXELS);
	const floats = source === 'floats' ? new Float32Array(new SharedArrayBuffer(GATHER_IMAGES * GATHER_PIXELS * 4)) : new Float32Array(0);
	for (let i = 0; i < images.bytes.length; i++) {
		images.bytes[i] = i % 251;
	}

	for (let i = 0; i < floats.length; i++) {
		floats[i] = (i % 251) / 255;
	}

	// A fixed shuffle (a multiplier prime to the count), the same every round.
	const order = Uint32Array.from({length: GATHER_IMAGES}, (_, i) => (i * 7919) % GATHER_IMAGES);
	const epoch = () => {
		for (let start = 0; start < GATHER_IMAGES; start += batch) {
			const rows = Math.min(batch, GATHER_IMAGES - start);
			if (source === 'bytes') {
				images.gather(arena.kernels, order, start, rows, GATHER_PIXELS, out);
			} else {
				copyRows(floats, order, start, rows, GATHER_PIXELS, out);
			}
		}
	};
	return bestSeconds(epoch, 3);
}
