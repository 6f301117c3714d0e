/**
 * Which path trains a trial in a thread that holds tfjs-node: sweeplab's SIMD kernels on one core, or the
 * Keras-style layers on TensorFlow's native kernels, which thread themselves (and use AVX2/AVX-512 where the CPU
 * has them, which 128-bit WebAssembly cannot). Each side's speed is measured in the thread (measureCapability), the
 * trial's work is counted (trialFlops), and the native side takes the trial only where it would spend less core
 * time on an epoch: a sweep keeps every core busy with a trial (one worker per core), so core time is what
 * finishes it sooner. The chosen path is the trial's training_path, beside its backend ('layers' on 'node').
 */
import type * as TF from '@tensorflow/tfjs';
import type {TrialConfig} from '../types.js';
import type {Tf} from './backend.js';
import {type ConvShape, convForward, paddedLength, tableLength, winogradForward, winogradKernelLength, winogradPlan, winogradTransforms, winogradTransformsLength, winogradWorkLength} from './kernels/conv.js';
import {fusedKernelsAvailable, KernelArena, kernelsAvailable} from './kernels/load.js';
import type {ModelShape} from './model.js';
import type {TrainingPath} from './trainer.js';

/** Floating-point operations per image (2 per multiply-add of the products) of a training step and of inference. */
export interface TrialFlops {
	train: number;
	inference: number;
}

/** The products' work per image: forward, the weight gradients, and the input gradients but the first layer's. */
export function trialFlops(config: TrialConfig, shape: ModelShape): TrialFlops {
	let forward = 0;
	let backward = 0;
	let [height, width, channels] = shape.imageShape;
	if (config.model === 'cnn') {
		for (const [l, filters] of config.conv.entries()) {
			const macs = height * width * config.kernelSize * config.kernelSize * channels * filters;
			forward += 2 * macs;
			backward += 2 * macs * (l === 0 ? 1 : 2);
			[height, width, channels] = [Math.floor(height / 2), Math.floor(width / 2), filters];
		}

		if (config.globalPool && config.conv.length > 0) {
			[height, width] = [1, 1];
		}
	}

	let inputs = height * width * channels;
	for (const [l, units] of [...config.hidden, shape.numClasses].entries()) {
		forward += 2 * inputs * units;
		backward += 2 * inputs * units * (l === 0 && config.model === 'mlp' ? 1 : 2);
		inputs = units;
	}

	return {train: forward + backward, inference: forward};
}

/** What a thread can train on, with each side's speed as measured there. */
export interface PathCapability {
	/** The SIMD path (simd-fma where relaxed SIMD fuses) and its GFLOP/s on one core; absent without WebAssembly SIMD. */
	simd?: {path: 'simd-fma' | 'simd'; gflops: number};
	/** tfjs-node, when this thread holds it: its GFLOP/s with all its threads, how many cores those threads keep busy, and what an op costs outside the arithmetic (dispatch) in ms. */
	native?: {gflops: number; threads: number; opMs: number};
}

export interface PathChoice {
	path: TrainingPath;
	/** Estimated core seconds of an epoch on each side that can train here. */
	simdCoreSeconds?: number;
	nativeCoreSeconds?: number;
}

/**
 * Ops a layers-path training step runs per layer (forward, gradients, the optimizer's update of its weights and bias),
 * about: tfjs' Adam alone is some 10 ops a variable. Only the native side's dispatch cost scales with it.
 */
const OPS_PER_LAYER = 25;

/** The path for a trial of `images.train` training and `images.validation` validation images an epoch, by the estimated core seconds of an epoch. */
export function choosePath(config: TrialConfig, shape: ModelShape, images: {train: number; validation: number}, capability: PathCapability): PathChoice {
	const flops = trialFlops(config, shape);
	const work = (images.train * flops.train) + (images.validation * flops.inference);
	const {simd, native} = capability;
	const simdCoreSeconds = simd ? work / (simd.gflops * 1e9) : undefined;
	const steps = Math.ceil(images.train / config.batchSize);
	const layers = (config.model === 'cnn' ? config.conv.length : 0) + config.hidden.length + 1;
	const nativeCoreSeconds = native ? native.threads * ((work / (native.gflops * 1e9)) + (steps * layers * OPS_PER_LAYER * native.opMs / 1000)) : undefined;
	if (simdCoreSeconds !== undefined && (nativeCoreSeconds === undefined || simdCoreSeconds <= nativeCoreSeconds)) {
		return {path: simd!.path, simdCoreSeconds, ...(nativeCoreSeconds !== undefined && {nativeCoreSeconds})};
	}

	// Without SIMD an MLP trains on the lean path's tfjs kernels, as trainingPathFor would have it.
	const path: TrainingPath = native || config.model === 'cnn' ? 'layers' : 'lean';
	return {path, ...(simdCoreSeconds !== undefined && {simdCoreSeconds}), ...(nativeCoreSeconds !== undefined && {nativeCoreSeconds})};
}

/** The convolution both sides are timed on: the second block of the 5x5 32-64 CNN, where a large CNN spends its time. */
const PROBE: ConvShape = {height: 14, width: 14, channels: 32, filters: 64, kernelSize: 5};
const PROBE_ROWS = 8;
const PROBE_FLOPS = 2 * PROBE_ROWS * PROBE.height * PROBE.width * PROBE.kernelSize * PROBE.kernelSize * PROBE.channels * PROBE.filters;

/** GFLOP/s of `run` (one probe convolution), by CPU time over `rounds` rounds after a warm-up call, and the CPU time per wall time (the threads it kept busy). */
function timeProbe(run: () => void, rounds: number): {gflops: number; threads: number} {
	run();
	const cpu = process.cpuUsage();
	const start = performance.now();
	for (let round = 0; round < rounds; round++) {
		run();
	}

	const wall = (performance.now() - start) / 1000;
	const used = process.cpuUsage(cpu);
	const cpuSeconds = (used.user + used.system) / 1e6;
	return {gflops: rounds * PROBE_FLOPS / wall / 1e9, threads: Math.max(1, cpuSeconds / wall)};
}

/**
 * Measures this thread's sides: the SIMD kernels' convolution on one core, and with `native` (the tf of tfjs-node,
 * or in tests any loaded tf) tf.conv2d on the same input with its own threads, and the cost of a small op. Takes
 * about a second; a thread measures once.
 */
export function measureCapability(native?: Tf, rounds = 20): PathCapability {
	const capability: PathCapability = {};
	if (kernelsAvailable()) {
		const variant = fusedKernelsAvailable() ? 'fma' : 'plain';
		const input = PROBE_ROWS * PROBE.height * PROBE.width * PROBE.channels;
		const weights = PROBE.kernelSize * PROBE.kernelSize * PROBE.channels * PROBE.filters;
		// The probe runs as the SIMD path trains it: by Winograd where winogradPlan takes it (GFLOP/s then effective: the direct convolution's flops over its time).
		const plan = winogradPlan(PROBE);
		const arena = new KernelArena(KernelArena.floats(plan
			? [input, weights, PROBE.filters, input * 2, winogradTransformsLength(PROBE, plan), winogradKernelLength(PROBE, plan), winogradWorkLength(PROBE, plan)]
			: [input, paddedLength(PROBE, PROBE_ROWS, PROBE.channels), weights, PROBE.filters, input * 2, tableLength(PROBE, PROBE_ROWS)]), variant);
		const image = arena.allocate(input).fill(0.5);
		const kernel = arena.allocate(weights).fill(0.25);
		const bias = arena.allocate(PROBE.filters);
		const z = arena.allocate(input * 2);
		let run: () => void;
		if (plan) {
			const buffers = {input: image, kernel, bias, z, transforms: arena.allocate(winogradTransformsLength(PROBE, plan)), u: arena.allocate(winogradKernelLength(PROBE, plan)), work: arena.allocate(winogradWorkLength(PROBE, plan))};
			winogradTransforms(PROBE, plan, buffers.transforms);
			run = () => {
				winogradForward(arena.kernels, PROBE, plan, PROBE_ROWS, buffers);
			};
		} else {
			const buffers = {input: image, kernel, bias, z, padded: arena.allocate(paddedLength(PROBE, PROBE_ROWS, PROBE.channels)), tables: arena.allocateInt(tableLength(PROBE, PROBE_ROWS))};
			run = () => {
				convForward(arena.kernels, PROBE, PROBE_ROWS, buffers);
			};
		}

		const {gflops} = timeProbe(run, rounds);
		capability.simd = {path: variant === 'fma' ? 'simd-fma' : 'simd', gflops};
	}

	if (native) {
		const x = native.fill([PROBE_ROWS, PROBE.height, PROBE.width, PROBE.channels], 0.5) as TF.Tensor4D;
		const kernel = native.fill([PROBE.kernelSize, PROBE.kernelSize, PROBE.channels, PROBE.filters], 0.25) as TF.Tensor4D;
		const small = native.fill([PROBE_ROWS, 16], 1);
		try {
			const {gflops, threads} = timeProbe(() => {
				const y = native.conv2d(x, kernel, 1, 'same');
				y.dataSync();
				y.dispose();
			}, rounds);
			// An add of 128 floats costs what an op's dispatch does.
			const start = performance.now();
			for (let i = 0; i < 100; i++) {
				native.add(small, small).dispose();
			}

			capability.native = {gflops, threads, opMs: (performance.now() - start) / 100};
		} finally {
			x.dispose();
			kernel.dispose();
			small.dispose();
		}
	}

	return capability;
}
