import test from 'ava';
import {loadDataset, splitDataset} from '../../src/data/load.js';
import {loadBackend} from '../../src/train/backend.js';
import {choosePath, measureCapability, type PathCapability, trialFlops} from '../../src/train/choose.js';
import {fusedKernelsAvailable} from '../../src/train/kernels/load.js';
import {trainTrial} from '../../src/train/loop.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../../src/types.js';
import {shape} from './helpers.js';

const mlp: TrialConfig = {...DEFAULT_TRIAL_CONFIG, model: 'mlp', hidden: [64, 64], batchSize: 32};
const cnn5: TrialConfig = {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [], batchSize: 32};
const epoch = {train: 60_000, validation: 10_000};

test('trialFlops counts 2 per multiply-add of the products, forward and backward, the first layer without an input gradient', t => {
	// 784 -> 64 -> 64 -> 10.
	const mlpMacs = (784 * 64) + (64 * 64) + (64 * 10);
	t.deepEqual(trialFlops(mlp, shape), {inference: 2 * mlpMacs, train: (2 * mlpMacs) + (2 * ((784 * 64) + (2 * ((64 * 64) + (64 * 10)))))});
	// 28x28x1 -> 32 5x5, pool, 14x14x32 -> 64 5x5, pool, 7x7x64 -> 10.
	const [conv1, conv2, dense] = [28 * 28 * 25 * 32, 14 * 14 * 25 * 32 * 64, 7 * 7 * 64 * 10];
	t.deepEqual(trialFlops(cnn5, shape), {inference: 2 * (conv1 + conv2 + dense), train: (2 * (conv1 + conv2 + dense)) + (2 * (conv1 + (2 * conv2) + (2 * dense)))});
	// Global pooling: the Dense layer takes the 64 channel means.
	t.is(trialFlops({...cnn5, globalPool: true}, shape).inference, 2 * (conv1 + conv2 + (64 * 10)));
});

test('without tfjs-node the SIMD path trains every trial, with the variant measured', t => {
	for (const path of ['simd-fma', 'simd'] as const) {
		t.is(choosePath(cnn5, shape, epoch, {simd: {path, gflops: 40}}).path, path);
		t.is(choosePath(mlp, shape, epoch, {simd: {path, gflops: 40}}).path, path);
	}

	// No SIMD and no native backend: the tfjs paths trainingPathFor would take.
	t.is(choosePath(mlp, shape, epoch, {}).path, 'lean');
	t.is(choosePath(cnn5, shape, epoch, {}).path, 'layers');
});

test('tfjs-node takes a trial only where it spends less core time on an epoch than the SIMD kernels on one core', t => {
	const simd = {path: 'simd-fma', gflops: 48} as const;
	// Faster per core (AVX2 fused multiply-add at 77 GFLOP/s a core, two threads) with dispatch that a large CNN's work hides.
	const fast: PathCapability = {simd, native: {gflops: 2 * 77 * 0.9, threads: 2, opMs: 0.02}};
	const choice = choosePath(cnn5, shape, epoch, fast);
	t.is(choice.path, 'layers');
	t.true(choice.nativeCoreSeconds! < choice.simdCoreSeconds!, JSON.stringify(choice));
	// The MLP's steps are too small: dispatch dominates.
	t.is(choosePath(mlp, shape, epoch, fast).path, 'simd-fma');
	// Faster in wall time but not per core (1.5 times the SIMD path on two threads): the SIMD path, one trial a core.
	const wide: PathCapability = {simd, native: {gflops: 1.5 * 48, threads: 2, opMs: 0}};
	t.is(choosePath(cnn5, shape, epoch, wide).path, 'simd-fma');
	// Where the SIMD kernels are missing, the native backend trains everything.
	t.is(choosePath(mlp, shape, epoch, {native: {gflops: 10, threads: 2, opMs: 1}}).path, 'layers');
});

test.serial('measureCapability times the SIMD convolution and a loaded tf\'s conv2d (here tfjs\' wasm backend in place of tfjs-node)', async t => {
	const {tf} = await loadBackend('wasm');
	const tensors = tf.memory().numTensors;
	const capability = measureCapability(tf, 3);
	t.is(capability.simd?.path, fusedKernelsAvailable() ? 'simd-fma' : 'simd');
	t.true(capability.simd!.gflops > 0.1, JSON.stringify(capability));
	t.true(capability.native!.gflops > 0.01, JSON.stringify(capability));
	t.true(capability.native!.threads >= 1);
	t.true(capability.native!.opMs > 0);
	t.is(tf.memory().numTensors, tensors, 'no tensor left behind');
	t.deepEqual(Object.keys(measureCapability(undefined, 1)), ['simd']);
});

test.serial('trainTrial trains on the path the capability chooses and reports it', async t => {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist-mini');
	const data = splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit: 200, testLimit: 50, validation: 0.2});
	const config: TrialConfig = {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [4], kernelSize: 5, hidden: [], epochs: 1};
	const paths: string[] = [];
	const capabilities: PathCapability[] = [
		{simd: {path: 'simd', gflops: 40}, native: {gflops: 1e6, threads: 1, opMs: 0}},
		{simd: {path: 'simd', gflops: 40}, native: {gflops: 1, threads: 1, opMs: 0}},
	];
	for (const capability of capabilities) {
		// eslint-disable-next-line no-await-in-loop
		const result = await trainTrial(tf, {config, seed: 3, data, shape, capability}, {
			onStart(info) {
				paths.push(info.trainingPath);
			},
			onEpoch() {},
		});
		t.is(result.state, 'completed');
	}

	t.deepEqual(paths, ['layers', 'simd']);
});
