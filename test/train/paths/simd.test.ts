import test from 'ava';
import {loadDataset, splitDataset} from '../../../src/data/load.js';
import {loadBackend} from '../../../src/train/backend.js';
import {makeTrainer, trainTrial} from '../../../src/train/loop.js';
import {LayersTrainer} from '../../../src/train/paths/layers.js';
import {LeanMlp} from '../../../src/train/paths/lean.js';
import {fusedKernelsAvailable} from '../../../src/train/kernels/load.js';
import {SimdNet, simdCovers} from '../../../src/train/paths/simd.js';
import type {TrainingPath} from '../../../src/train/trainer.js';
import {ACTIVATIONS, OPTIMIZERS, type TrialConfig, WEIGHT_DECAY_MODES} from '../../../src/types.js';
import {runsHere, VARIANTS} from '../kernels/helpers.js';
import {assertClose, assertSameEvaluation, batches, layersGradients, layersMovingStatistics, maxDifference, seedConfig, shape, trainSideBySide} from '../helpers.js';

const gradientCases: Array<[string, Partial<TrialConfig>]> = [
	...ACTIVATIONS.map((activation): [string, Partial<TrialConfig>] => [activation, {activation}]),
	['sigmoid, mean squared error', {activation: 'sigmoid', loss: 'meanSquaredError'}],
	['elu, categorical hinge', {activation: 'elu', loss: 'categoricalHinge'}],
	['relu, categorical hinge', {loss: 'categoricalHinge'}],
	['a deeper net', {activation: 'swish', hidden: [12, 10, 8]}],
	// Widths and rows that are not multiples of the kernels' 4x8 tiles exercise every leftover loop.
	['odd widths', {activation: 'tanh', hidden: [13, 7, 3]}],
	['no hidden layer', {hidden: []}],
	// CNNs: implicit-GEMM convolution, pooling with odd feature maps (7 -> 3), even and odd kernel sizes.
	['a cnn with one conv block and no hidden layer', {model: 'cnn', conv: [4], hidden: []}],
	['a cnn with two conv blocks, tanh', {model: 'cnn', conv: [3, 5], hidden: [8], activation: 'tanh'}],
	['a cnn with three blocks and 2x2 kernels, elu', {model: 'cnn', conv: [2, 3, 4], kernelSize: 2, hidden: [6], activation: 'elu'}],
	['a cnn with 5x5 kernels, leakyRelu, categorical hinge', {model: 'cnn', conv: [3, 2], kernelSize: 5, hidden: [], activation: 'leakyRelu', loss: 'categoricalHinge'}],
	// Batch norm: through the batch's mean and variance, in Dense layers and per channel of a conv block.
	['batch norm, tanh', {batchNorm: true, activation: 'tanh'}],
	['batch norm, relu, odd widths and a ragged batch', {batchNorm: true, hidden: [13, 7, 3]}],
	['a cnn with batch norm', {model: 'cnn', conv: [3, 4], hidden: [6], batchNorm: true, activation: 'elu'}],
	// Label smoothing: the loss's gradient p - q with smoothed targets q, against tfjs' softmaxCrossEntropy.
	['label smoothing 0.1', {labelSmoothing: 0.1}],
	['label smoothing 0.4, a cnn', {model: 'cnn', conv: [3], hidden: [5], labelSmoothing: 0.4}],
	// Global average pooling after the last block, against tf.layers.globalAveragePooling2d; odd maps (7 -> 3).
	['a cnn with global average pooling and no hidden layer', {model: 'cnn', conv: [4, 6], hidden: [], globalPool: true}],
	['a cnn with three blocks and global average pooling, tanh', {model: 'cnn', conv: [3, 4, 5], hidden: [7], globalPool: true, activation: 'tanh'}],
	['a cnn with global average pooling and batch norm', {model: 'cnn', conv: [3, 4], hidden: [6], globalPool: true, batchNorm: true, activation: 'elu'}],
	// The benchmark's CNN: 5x5 kernels, 32 and 64 channels (with Flatten, and pooled).
	['the benchmark cnn: 5x5 kernels, 32-64 channels', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [16]}],
	['the benchmark cnn with global average pooling', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [], globalPool: true}],
	// Direct convolution in the second block (4 channels in, 16 filters), whose input gradient stays implicit GEMM's.
	['a cnn with a direct convolution after the first, leakyRelu', {model: 'cnn', conv: [4, 16], hidden: [6], activation: 'leakyRelu'}],
	// Winograd F(4x4, 3x3) in the second and third blocks (a 7x7 map the tiles overrun), activation before pooling, batch norm.
	['a cnn with Winograd 3x3 convolutions, 16-32-32, batch norm, elu', {model: 'cnn', conv: [16, 32, 32], hidden: [8], batchNorm: true, activation: 'elu'}],
];

// Both builds of the kernels (kernels/load.ts): the fused products round differently, within the same tolerance.
for (const [variant, [title, overrides]] of VARIANTS.flatMap(variant => gradientCases.map(entry => [variant, entry] as const))) {
	test.serial(`simd (${variant}) gradients equal autodiff through the layers: ${title}`, async t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const {tf} = await loadBackend('wasm');
		const config = seedConfig(overrides);
		const [{x, y}] = await batches(1, config.batchSize);
		const rows = config.hidden.includes(13) ? 11 : y.length;
		const layers = new LayersTrainer(tf, config, shape, 7);
		const simd = new SimdNet(tf, config, shape, 7, variant);
		t.teardown(() => {
			layers.dispose();
		});
		if (simd.convAlgorithms.some(algorithm => algorithm.startsWith('Winograd')) && !config.batchNorm) {
			// Biases start at 0, so a relu's input over the images' blank background is exactly 0 by direct convolution
			// (where relu' is 0) and a rounding error either side of 0 by Winograd's transforms: the gradient at that kink
			// is not unique. Small positive biases, the same on both paths, take the comparison off the kink.
			for (let l = 0; l < config.conv.length; l++) {
				const bias = simd.parameters[(2 * l) + 1].map((_, i) => 0.05 + (0.01 * (i % 10)));
				simd.parameters[(2 * l) + 1].set(bias);
				layers.model.trainableWeights[(2 * l) + 1].write(tf.tensor(bias));
			}
		}

		const initial = layers.model.trainableWeights.map(weight => weight.read().dataSync());
		assertClose(t, simd.parameters, initial, 0, 'initial weights');
		const expected = layersGradients(tf, layers, config, x.subarray(0, rows * 784), y.subarray(0, rows));
		assertClose(t, simd.gradients(x, y, rows), expected, 1e-4, 'gradients');
	});
}

test.serial('simd runs each convolution as its plan says: direct on one channel, Winograd on the 5x5 32-64 layer, else implicit GEMM', async t => {
	const {tf} = await loadBackend('wasm');
	const simd = new SimdNet(tf, seedConfig({model: 'cnn', conv: [32, 64, 8], kernelSize: 5, hidden: []}), shape, 1);
	t.deepEqual(simd.convAlgorithms, ['direct', 'Winograd F(4x4, 5x5)', 'implicit GEMM']);
	const study = new SimdNet(tf, seedConfig({model: 'cnn', conv: [8, 16], kernelSize: 3, hidden: [64, 64]}), shape, 1);
	t.deepEqual(study.convAlgorithms, ['implicit GEMM', 'implicit GEMM']);
});

test.serial('simd dropout draws the same seeded masks as the lean path', async t => {
	const {tf} = await loadBackend('wasm');
	const config = seedConfig({dropout: 0.5, activation: 'elu'});
	const [{x, y}] = await batches(1, config.batchSize);
	const simd = new SimdNet(tf, config, shape, 4);
	const lean = new LeanMlp(tf, config, shape, 4);
	t.teardown(() => {
		lean.dispose();
	});
	for (let batch = 0; batch < 2; batch++) {
		assertClose(t, simd.gradients(x, y, y.length), lean.gradients(x, y, y.length), 1e-4, `gradients of batch ${batch}`);
	}
});

// No dropout here: the layers path's Dropout repeats one mask (tfjs behaviour); dropout is compared with the lean path below.
// With batch norm, SGD: Adam turns a gradient that rounds to 0 on one path and 1e-9 on the other into steps that differ by a percent.
const layersStepCases: Array<[string, Partial<TrialConfig>]> = [['a cnn', {}], ['a cnn with batch norm', {batchNorm: true, optimizer: 'sgd', learningRate: 0.05}], ['an mlp with batch norm', {model: 'mlp', batchNorm: true, optimizer: 'sgd', learningRate: 0.05}]];
for (const [variant, [title, overrides]] of VARIANTS.flatMap(variant => layersStepCases.map(entry => [variant, entry] as const))) {
test.serial(`a few simd (${variant}) training steps of ${title} land where the layers' steps land`, async t => {
	if (!runsHere(t, variant)) {
		return;
	}

	const {tf} = await loadBackend('wasm');
	const config = seedConfig({model: 'cnn', conv: [4, 6], hidden: [10], learningRate: 0.01, ...overrides});
	const layers = new LayersTrainer(tf, config, shape, 5);
	const simd = new SimdNet(tf, config, shape, 5, variant);
	t.teardown(() => {
		layers.dispose();
	});
	await trainSideBySide(t, layers, simd, 3, config.batchSize);
	assertClose(t, simd.parameters, layers.model.trainableWeights.map(weight => weight.read().dataSync()), 1e-4, 'weights after 3 steps');
	// 300 rows: two evaluation chunks of a cnn.
	await assertSameEvaluation(t, layers, simd, 300, 1e-3);
	if (config.batchNorm) {
		assertClose(t, simd.movingStatistics, layersMovingStatistics(layers), 1e-4, 'moving statistics');
	}
});
}

const trainingCases: Array<[string, Partial<TrialConfig>]> = [
	['adam', {}],
	['sgd', {optimizer: 'sgd', learningRate: 0.1}],
	['momentum, dropout', {optimizer: 'momentum', learningRate: 0.05, dropout: 0.3}],
	['batch norm, dropout', {batchNorm: true, dropout: 0.2, optimizer: 'sgd', learningRate: 0.05}],
	['rmsprop', {optimizer: 'rmsprop'}],
	['adagrad', {optimizer: 'adagrad', learningRate: 0.05}],
	['adamax, sigmoid', {optimizer: 'adamax', activation: 'sigmoid'}],
];

for (const [variant, [title, overrides]] of VARIANTS.flatMap(variant => trainingCases.map(entry => [variant, entry] as const))) {
	test.serial(`a few simd (${variant}) training steps land where the lean path's steps land: ${title}`, async t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const {tf} = await loadBackend('wasm');
		const config = seedConfig({learningRate: 0.01, ...overrides});
		// The lean path, itself checked step by step against the Keras-style layers (lean.test.ts), draws the same dropout masks.
		const lean = new LeanMlp(tf, config, shape, 21);
		const simd = new SimdNet(tf, config, shape, 21, variant);
		t.teardown(() => {
			lean.dispose();
		});
		const initial = simd.parameters.map(values => values.slice());
		await trainSideBySide(t, lean, simd, 4, config.batchSize);
		t.deepEqual(simd.takeSums(), {loss: 0, correct: 0}, 'taking the sums resets them');
		assertClose(t, simd.parameters, lean.parameters, 1e-4, 'weights after 4 steps');
		assertClose(t, simd.movingStatistics, lean.movingStatistics, 1e-4, 'moving statistics');
		t.true(simd.parameters.some((values, k) => maxDifference(values, initial[k]) > config.learningRate / 10), 'the weights moved');

		// 2,500 rows: two evaluation chunks of an mlp.
		await assertSameEvaluation(t, lean, simd, 2500, 1e-4);
	});
}

// Weight decay on every optimizer, both rules, with the learning rate changed between steps as a schedule does:
// against the lean path (MLPs) and the Keras-style layers, whose decay is written in tfjs ops (cnn).
const decayCases: Array<[string, Partial<TrialConfig>]> = [
	...OPTIMIZERS.flatMap(optimizer => WEIGHT_DECAY_MODES.map((weightDecayMode): [string, Partial<TrialConfig>] => [`${optimizer}, ${weightDecayMode}`, {optimizer, weightDecayMode}])),
	['adam, decoupled, label smoothing', {labelSmoothing: 0.2}],
];
const stepRates = [0.01, 0.02, 0.005, 0.005];

for (const [title, overrides] of decayCases) {
	test.serial(`simd steps with weight decay and a changing learning rate land where the lean path's land: ${title}`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig({learningRate: stepRates[0], weightDecay: 0.1, ...overrides});
		const lean = new LeanMlp(tf, config, shape, 13);
		const simd = new SimdNet(tf, config, shape, 13);
		const undecayed = new SimdNet(tf, {...config, weightDecay: 0}, shape, 13);
		t.teardown(() => {
			lean.dispose();
		});
		await trainSideBySide(t, lean, simd, stepRates.length, config.batchSize, stepRates);
		assertClose(t, simd.parameters, lean.parameters, 1e-4, 'weights after the steps');
		for (const [i, {x, y}] of (await batches(stepRates.length, config.batchSize)).entries()) {
			undecayed.setLearningRate(stepRates[i]);
			undecayed.trainBatch(x, y, y.length);
		}

		t.true(simd.parameters.some((values, k) => maxDifference(values, undecayed.parameters[k]) > 1e-4), 'the decay changed the weights');
	});
}

for (const weightDecayMode of WEIGHT_DECAY_MODES) {
	test.serial(`simd cnn steps with ${weightDecayMode} weight decay, global pooling and a changing rate land where the layers' steps land`, async t => {
		const {tf} = await loadBackend('wasm');
		const config = seedConfig({model: 'cnn', conv: [4, 6], hidden: [10], globalPool: true, optimizer: 'momentum', learningRate: stepRates[0], weightDecay: 0.2, weightDecayMode});
		const layers = new LayersTrainer(tf, config, shape, 5);
		const simd = new SimdNet(tf, config, shape, 5);
		t.teardown(() => {
			layers.dispose();
		});
		await trainSideBySide(t, layers, simd, stepRates.length, config.batchSize, stepRates);
		assertClose(t, simd.parameters, layers.model.trainableWeights.map(weight => weight.read().dataSync()), 1e-4, 'weights after the steps');
		await assertSameEvaluation(t, layers, simd, 300, 1e-3);
	});
}

test.serial('a simd snapshot restores the weights it copied', async t => {
	const {tf} = await loadBackend('wasm');
	const config = seedConfig({});
	const simd = new SimdNet(tf, config, shape, 2);
	const snapshot = simd.snapshot();
	const before = simd.parameters.map(values => values.slice());
	for (const {x, y} of await batches(2, config.batchSize)) {
		simd.trainBatch(x, y, y.length);
	}

	t.true(maxDifference(simd.parameters[0], before[0]) > 0);
	snapshot.restore();
	assertClose(t, simd.parameters, before, 0, 'restored weights');
});

test.serial('trainTrial takes the simd path by default (simd-fma where relaxed SIMD fuses) and the others when asked, and says which', async t => {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist-mini');
	const data = splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit: 300, testLimit: 100, validation: 0.2});
	const cnn: Partial<TrialConfig> = {epochs: 1, model: 'cnn', conv: [2], hidden: []};
	const configs = [seedConfig({epochs: 1}), seedConfig({epochs: 1, batchNorm: true}), seedConfig(cnn), seedConfig({...cnn, batchNorm: true})];
	t.deepEqual(configs.map(config => simdCovers(config)), [true, true, true, true]);
	const paths: string[] = [];
	const algorithms: Array<string[] | undefined> = [];
	const forced: Array<TrainingPath | undefined> = [undefined, 'lean', 'simd', 'layers'];
	for (const [k, config] of configs.entries()) {
		// eslint-disable-next-line no-await-in-loop
		const result = await trainTrial(tf, {config, seed: 1, data, shape, path: forced[k]}, {
			onStart(info) {
				paths.push(info.trainingPath);
				algorithms.push(info.convAlgorithms);
			},
			onEpoch() {},
		});
		t.is(result.state, 'completed');
	}

	t.deepEqual(paths, [fusedKernelsAvailable() ? 'simd-fma' : 'simd', 'lean', 'simd', 'layers']);
	// Only the SIMD path chooses how to run a convolution, and says so for a CNN.
	t.deepEqual(algorithms, [undefined, undefined, ['implicit GEMM'], undefined]);
	t.throws(() => makeTrainer(tf, configs[2], shape, 1, 'lean'), {message: /lean training path does not cover this config \(model 'cnn'/});
});

test.serial('the simd path gathers batches from the set\'s bytes, to the same floats as the loop\'s copy of x', async t => {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist-mini');
	const data = splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit: 300, testLimit: 100, validation: 0.2});
	t.truthy(data.train.bytes, 'a dataset decoded from IDX bytes keeps them');
	t.is(data.train.bytes!.length, data.train.x.length);
	const config = seedConfig({epochs: 2, batchSize: 32});
	const order = Uint32Array.from({length: data.train.n}, (_, i) => (i * 97) % data.train.n);
	const dim = data.train.x.length / data.train.n;

	// gatherBatch: the same floats as copying x's rows; no copy of the bytes, no gather.
	const net = makeTrainer(tf, config, shape, 1, 'simd', data.train);
	t.true(net.gatherBatch!(order, 64, 29));
	const expected = Array.from({length: 29 * dim}, (_, j) => data.train.x[(order[64 + Math.floor(j / dim)] * dim) + (j % dim)]);
	t.deepEqual([...net.batchInput!().subarray(0, 29 * dim)], expected);
	const {bytes: _, ...floatsOnly} = data.train;
	t.false(makeTrainer(tf, config, shape, 1, 'simd', floatsOnly).gatherBatch!(order, 0, 32));

	// trainTrial takes the bytes: the same epochs as from the floats alone, and other epochs where the bytes disagree with x.
	const train = async (trainSet: typeof data.train) => {
		const records: unknown[] = [];
		await trainTrial(tf, {config, seed: 1, data: {...data, train: trainSet}, shape, path: 'simd'}, {
			onEpoch(record) {
				records.push({...record, seconds: 0});
			},
		});
		return records;
	};

	const fromBytes = await train(data.train);
	t.deepEqual(fromBytes, await train(floatsOnly));
	const dimmed = new Uint8Array(data.train.bytes!.length);
	dimmed.set(data.train.bytes!.map(value => value >> 1));
	t.notDeepEqual(fromBytes, await train({...data.train, bytes: dimmed}));
});
