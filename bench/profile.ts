/**
 * Where a training step's time goes on the SIMD path: every kernel call of a step timed (by its place in the
 * step, with its shape; the median over steps), the rest of the step's CPU time counted as JS glue (loss,
 * dropout, JS activations, call overhead). Trains `--steps` batches of the bundled mini dataset after a warm-up,
 * in this process.
 *
 *   npm run bench:profile -- --model cnn5 --batch 32 [--steps 60] [--variant fma|plain]
 */
import {performance} from 'node:perf_hooks';
import {parseArgs} from 'node:util';
import {loadDataset} from '../src/data/load.js';
import {loadBackend} from '../src/train/backend.js';
import {fusedKernelsAvailable, type KernelVariant} from '../src/train/kernels/load.js';
import {SimdNet} from '../src/train/paths/simd.js';
import {DEFAULT_TRIAL_CONFIG} from '../src/types.js';
import {BENCH_MODELS, type BenchModel, machineLine, median} from './common.js';

/** How many leading arguments of a kernel are addresses, left out of its shape. */
const POINTERS: Record<string, number> = {
	pad_images: 2, conv_forward: 5, conv_filter_gradient: 4, conv_flip: 2, maxpool: 3, maxpool_backward: 3, relu: 2, relu_backward: 3,
	leaky_relu: 2, leaky_relu_backward: 3, column_sums: 2, batchnorm_stats: 1, scale_shift: 2, batchnorm_backward: 2,
	winograd_kernel: 4, winograd_forward: 8, winograd_backward: 8, conv_direct_forward: 6, conv_direct_filter_gradient: 5, softmax_cross_entropy: 2,
};
/** How many trailing arguments are addresses, left out too. */
const TRAILING_POINTERS: Record<string, number> = {softmax_cross_entropy: 2};

interface Call {
	name: string;
	args: number[];
	ms: number;
}

async function main(): Promise<void> {
	const {values} = parseArgs({options: {
		model: {type: 'string', default: 'cnn'},
		batch: {type: 'string', default: '32'},
		steps: {type: 'string', default: '60'},
		variant: {type: 'string', default: fusedKernelsAvailable() ? 'fma' : 'plain'},
	}});
	const model = values.model as BenchModel;
	if (!(model in BENCH_MODELS)) {
		throw new RangeError(`--model: ${model} is not one of ${Object.keys(BENCH_MODELS).join(', ')}`);
	}

	const batch = Number(values.batch);
	const steps = Number(values.steps);
	const {tf} = await loadBackend('wasm');
	const {train, imageShape, numClasses} = await loadDataset('fashion-mnist-mini');
	const config = {...DEFAULT_TRIAL_CONFIG, ...BENCH_MODELS[model].config, batchSize: batch};
	const variant = values.variant as KernelVariant;
	const net = new SimdNet(tf, config, {imageShape, numClasses}, 1, variant);
	// The step's kernel calls, in order: the same sequence every step, so a call's place names it. The exports
	// object is frozen: the net gets a timing copy, and its optimizer's update is timed as one call.
	const internals = net as unknown as {kernels: Record<string, unknown>; optimizer: {update: (...args: unknown[]) => void}};
	let calls: Call[] = [];
	let recording = false;
	const timed = <A extends unknown[]>(name: string, original: (...args: A) => void) => (...args: A) => {
		if (!recording) {
			original(...args);
			return;
		}

		const start = performance.now();
		original(...args);
		const ms = performance.now() - start;
		calls.push({name, args: args.map(arg => typeof arg === 'number' ? arg : Number.NaN), ms});
	};

	internals.kernels = Object.fromEntries(Object.entries(internals.kernels).map(([name, original]) => [name, typeof original === 'function' ? timed(name, original as (...args: number[]) => void) : original]));
	const {optimizer} = internals;
	optimizer.update = timed('optimizer.update', optimizer.update.bind(optimizer));

	const dim = imageShape[0] * imageShape[1] * imageShape[2];
	const batches = Math.floor(train.n / batch);
	const x = new Float32Array(batch * dim);
	const y = new Int32Array(batch);
	const load = (b: number) => {
		const start = (b % batches) * batch;
		x.set(train.x.subarray(start * dim, (start + batch) * dim));
		y.set(train.y.subarray(start, start + batch));
	};

	for (let b = 0; b < 10; b++) {
		load(b);
		net.trainBatch(x, y, batch);
	}

	// Per place, the median over steps: on a shared machine a mean takes in other processes' time slices.
	const perPlace = new Map<number, {name: string; args: number[]; times: number[]}>();
	const stepTimes: number[] = [];
	const cpuTimes: number[] = [];
	recording = true;
	for (let s = 0; s < steps; s++) {
		load(s);
		calls = [];
		const start = performance.now();
		const cpu = process.cpuUsage();
		net.trainBatch(x, y, batch);
		stepTimes.push(performance.now() - start);
		const used = process.cpuUsage(cpu);
		cpuTimes.push((used.user + used.system) / 1000);
		for (const [place, call] of calls.entries()) {
			const entry = perPlace.get(place) ?? {name: call.name, args: call.args, times: []};
			entry.times.push(call.ms);
			perPlace.set(place, entry);
		}
	}

	const total = median(stepTimes) * steps;
	const places = [...perPlace.entries()].map(([place, {name, args, times}]) => ({place, name, args, ms: median(times) * steps}));
	const inKernels = places.reduce((sum, entry) => sum + entry.ms, 0);
	console.log(`bench:profile ${BENCH_MODELS[model].title}, batch ${batch}, ${steps} steps, ${variant} kernels; ${machineLine()}`);
	// Under load a step's wall time takes in other processes' slices; its CPU time and the kernels' medians do not (much).
	const cpuStep = median(cpuTimes);
	console.log(`step ${(total / steps).toFixed(3)} ms wall, ${cpuStep.toFixed(3)} ms CPU (medians): kernels ${(inKernels / steps).toFixed(3)} ms, JS glue ${Math.max(0, cpuStep - (inKernels / steps)).toFixed(3)} ms (CPU step - kernels)`);
	const byName = new Map<string, number>();
	for (const {place, name, args, ms} of places) {
		byName.set(name, (byName.get(name) ?? 0) + ms);
		const shape = name.startsWith('gemm') ? `m ${args[3]} k ${args[4]} n ${args[5]}, ${(2 * args[3] * args[4] * args[5] / (ms / steps) / 1e6).toFixed(2)} GFLOP/s` : args.slice(POINTERS[name] ?? 0, args.length - (TRAILING_POINTERS[name] ?? 0)).join(' ');
		console.log(`  ${String(place).padStart(3)} ${name.padEnd(20)} ${(ms / steps).toFixed(3).padStart(8)} ms ${(100 * ms / steps / cpuStep).toFixed(1).padStart(5)}%  ${shape}`);
	}

	console.log('by kernel:');
	for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1])) {
		console.log(`  ${name.padEnd(20)} ${(ms / steps).toFixed(3).padStart(8)} ms ${(100 * ms / steps / cpuStep).toFixed(1).padStart(5)}%`);
	}
}

await main();
