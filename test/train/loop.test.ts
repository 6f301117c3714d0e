import test from 'ava';
import {type ImageSet, loadDataset, splitDataset, type SplitData} from '../../src/data/load.js';
import {fitStandardizer, standardizedSet, standardizeRows} from '../../src/data/standardize.js';
import {Augmenter} from '../../src/train/augment.js';
import {loadBackend} from '../../src/train/backend.js';
import {EarlyStopper, trainTrial, type TrainHooks} from '../../src/train/loop.js';
import {LearningRateSchedule} from '../../src/train/math/schedules.js';
import type {ModelShape} from '../../src/train/model.js';
import {SimdNet} from '../../src/train/paths/simd.js';
import type {Trainer} from '../../src/train/trainer.js';
import {DEFAULT_TRIAL_CONFIG, type EarlyStopping, type EpochRecord, type TrialConfig} from '../../src/types.js';
import {createRng, deriveSeed} from '../../src/util/random.js';

const shape: ModelShape = {imageShape: [28, 28, 1], numClasses: 10};

async function miniSplit(trainLimit = 1500): Promise<SplitData> {
	const dataset = await loadDataset('fashion-mnist-mini');
	return splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit, testLimit: 500, validation: 0.2});
}

async function train(config: Partial<TrialConfig>, seed: number, hooks: Partial<TrainHooks> = {}) {
	const {tf} = await loadBackend('wasm');
	const epochs: EpochRecord[] = [];
	const result = await trainTrial(tf, {config: {...DEFAULT_TRIAL_CONFIG, epochs: 2, ...config}, seed, data: await miniSplit(), shape}, {
		onEpoch(record) {
			epochs.push(record);
		},
		...hooks,
	});
	return {result, epochs, metrics: epochs.map(({seconds, ...rest}) => rest)};
}

test.serial('training is deterministic for a seed and differs across seeds', async t => {
	const first = await train({}, 11);
	const again = await train({}, 11);
	const other = await train({}, 12);
	t.deepEqual(first.metrics, again.metrics);
	t.is(first.result.testAccuracy, again.result.testAccuracy);
	t.notDeepEqual(first.metrics, other.metrics);
});

test.serial('the seed MLP learns the bundled subset well above chance', async t => {
	const {result, epochs} = await train({epochs: 3}, 5);
	t.is(result.state, 'completed');
	t.is(epochs.length, 3);
	t.deepEqual(epochs.map(e => e.epoch), [1, 2, 3]);
	t.true(epochs[2].valAccuracy > 0.65, `val accuracy ${epochs[2].valAccuracy}`);
	t.true(epochs[2].loss < epochs[0].loss);
	t.true(result.testAccuracy! > 0.65);
	t.true(result.trainSeconds > 0);
});

test.serial('a run whose loss blows up ends as diverged at that epoch', async t => {
	const {result, epochs} = await train({optimizer: 'sgd', learningRate: 1e30, epochs: 4}, 3);
	t.is(result.state, 'diverged');
	t.is(result.epochsRun, epochs.length);
	t.true(epochs.length < 4);
	t.false(Number.isFinite(epochs.at(-1)!.loss) && Number.isFinite(epochs.at(-1)!.valLoss));
	t.regex(result.error!, /loss became (NaN|-?Infinity) at epoch \d/);
	t.is(result.testAccuracy, undefined);
});

test.serial('a stop request ends training as interrupted between epochs', async t => {
	let seen = 0;
	const {result, epochs} = await train({epochs: 5}, 1, {
		onEpoch() {
			seen++;
		},
		shouldStop: () => (seen >= 2 ? 'stop asked' : undefined),
	});
	t.is(result.state, 'interrupted');
	t.is(result.epochsRun, 2);
	t.is(result.error, 'stop asked');
	t.is(epochs.length, 0, 'the custom onEpoch replaced the recorder');
});

test.serial('training leaves no tensors behind', async t => {
	const {tf} = await loadBackend('wasm');
	const before = tf.memory().numTensors;
	await train({batchNorm: true, dropout: 0.1}, 2);
	await train({model: 'cnn', conv: [4], hidden: [], epochs: 1}, 2);
	t.is(tf.memory().numTensors, before);
});

test.serial('early stopping ends a trial after `patience` epochs without improvement and restores the best weights', async t => {
	// No epoch can improve on the first by 10 in loss: training stops after epoch 1 + patience.
	const stopped = await train({epochs: 6, earlyStopping: {monitor: 'val_loss', patience: 2, minDelta: 10, restoreBest: true}}, 21);
	t.is(stopped.result.state, 'completed');
	t.is(stopped.result.epochsRun, 3);
	t.regex(stopped.result.stopReason!, /^early stopping at epoch 3: val_loss did not improve by more than 10 for 2 epochs \(best [\d.]+ at epoch 1, restored\)$/);
	// Restored to epoch 1's weights, the test evaluation is that of a 1-epoch run with the same seed.
	const oneEpoch = await train({epochs: 1}, 21);
	t.is(stopped.result.testAccuracy, oneEpoch.result.testAccuracy);
	t.is(stopped.result.testLoss, oneEpoch.result.testLoss);
	t.is(stopped.result.testEpoch, 1, 'the test is of epoch 1\'s weights, and the result says so');
	t.is(oneEpoch.result.testEpoch, 1);

	const kept = await train({epochs: 6, earlyStopping: {monitor: 'val_loss', patience: 2, minDelta: 10, restoreBest: false}}, 21);
	t.is(kept.result.epochsRun, 3);
	t.not(kept.result.testLoss, oneEpoch.result.testLoss, 'without restoreBest the last epoch\'s weights are tested');
	t.is(kept.result.testEpoch, 3);

	// A relative minDelta no epoch can meet (99% of the best loss) stops the same run at the same epoch.
	const relative = await train({epochs: 6, earlyStopping: {monitor: 'val_loss', patience: 2, minDelta: '99%', restoreBest: true}}, 21);
	t.is(relative.result.epochsRun, 3);
	t.is(relative.result.testLoss, oneEpoch.result.testLoss);
	t.regex(relative.result.stopReason!, /did not improve by more than 99% \([\d.]+\) for 2 epochs/);
});

/** The epoch an EarlyStopper stops after, given each epoch's validation loss and accuracy, and its reason. */
function stopsAt(settings: EarlyStopping, values: number[]): {epoch: number | undefined; reason: string | undefined} {
	// restoreBest is off: the stopper never touches the trainer.
	const stopper = new EarlyStopper({...settings, restoreBest: false}, {} as Trainer);
	for (const [i, value] of values.entries()) {
		if (stopper.observe({epoch: i + 1, loss: value, accuracy: value, valLoss: value, valAccuracy: value, seconds: 1})) {
			return {epoch: i + 1, reason: stopper.reason};
		}
	}

	return {epoch: undefined, reason: undefined};
}

/** `epochs` values from `first`, each `rate` (a fraction) lower than the one before. */
const shrinking = (first: number, rate: number, epochs = 8) => Array.from({length: epochs}, (_, i) => first * ((1 - rate) ** i));

test('a relative minDelta asks the same of losses of any scale; an absolute one does not', t => {
	const absolute: EarlyStopping = {monitor: 'val_loss', patience: 3, minDelta: 0.001, restoreBest: false};
	const relative: EarlyStopping = {...absolute, minDelta: '1%'};
	// Both losses improve by 1.5% an epoch: a mean squared error near 0.017 and a cross-entropy near 0.29.
	const mse = shrinking(0.017, 0.015);
	const crossEntropy = shrinking(0.29, 0.015);
	t.is(stopsAt(absolute, crossEntropy).epoch, undefined);
	t.is(stopsAt(absolute, mse).epoch, 4, '0.001 is 6% of the mean squared error: three of its 1.5% steps do not add up to it');
	t.is(stopsAt(relative, crossEntropy).epoch, undefined);
	t.is(stopsAt(relative, mse).epoch, undefined);
	// Improving by 0.3% an epoch (0.9% in the 3 epochs of patience) is below 1% at either scale.
	t.is(stopsAt(relative, shrinking(0.017, 0.003)).epoch, 4);
	t.is(stopsAt(relative, shrinking(0.29, 0.003)).epoch, 4);
	t.regex(stopsAt(relative, shrinking(0.017, 0.003)).reason!, /^early stopping at epoch 4: val_loss did not improve by more than 1% \(0\.00017\) for 3 epochs \(best 0\.0170 at epoch 1\)$/);
	// On accuracy the share is of the best accuracy: 1% of 0.85 is 0.0085.
	const accuracy: EarlyStopping = {...relative, monitor: 'val_accuracy'};
	t.is(stopsAt(accuracy, [0.85, 0.855, 0.858, 0.8584]).epoch, 4);
	t.is(stopsAt(accuracy, [0.85, 0.86, 0.861, 0.862, 0.868, 0.87]).epoch, 5, '0.86 beats 0.85 by more than 0.0085; nothing beats 0.86 by 0.0086');
});

test.serial('a pruner verdict after an epoch ends the trial as pruned before another epoch runs', async t => {
	const {result, epochs} = await train({epochs: 5}, 4, {afterEpoch: async record => (record.epoch === 2 ? 'below the median' : undefined)});
	t.is(result.state, 'pruned');
	t.is(result.epochsRun, 2);
	t.is(result.stopReason, 'below the median');
	t.is(epochs.length, 2);
	t.is(result.testAccuracy, undefined);
});

test.serial('training batches are augmented then standardised with training statistics; validation and test only standardised; the rate follows the schedule', async t => {
	const {tf} = await loadBackend('wasm');
	const data = await miniSplit(400);
	const config: TrialConfig = {...DEFAULT_TRIAL_CONFIG, epochs: 2, batchSize: 64, augment: {translate: 2, flip: true}, standardize: 'per-pixel', lrSchedule: {kind: 'cosine', warmupEpochs: 1}};
	const seed = 17;
	const seen: {batches: Float32Array[]; evaluated: Float32Array[]; rates: number[]} = {batches: [], evaluated: [], rates: []};
	const {trainBatch, evaluate, setLearningRate} = SimdNet.prototype;
	t.teardown(() => {
		Object.assign(SimdNet.prototype, {trainBatch, evaluate, setLearningRate});
	});
	Object.assign(SimdNet.prototype, {
		trainBatch(this: SimdNet, x: Float32Array, y: Int32Array, rows: number) {
			seen.batches.push(x.slice(0, rows * 784));
			trainBatch.call(this, x, y, rows);
		},
		evaluate(this: SimdNet, set: ImageSet) {
			seen.evaluated.push(set.x);
			return evaluate.call(this, set);
		},
		setLearningRate(this: SimdNet, rate: number) {
			seen.rates.push(rate);
			setLearningRate.call(this, rate);
		},
	});
	const result = await trainTrial(tf, {config, seed, data, shape}, {onEpoch() {}});
	t.is(result.state, 'completed');

	// The loop's batches, rebuilt: shuffled order, the augmentation's own stream per epoch, then the training split's statistics.
	const standardizer = fitStandardizer('per-pixel', data.train)!;
	const augmenter = new Augmenter(config.augment!, shape.imageShape);
	const expected: Float32Array[] = [];
	let unaugmented = 0;
	for (let epoch = 1; epoch <= config.epochs; epoch++) {
		const order = Uint32Array.from({length: data.train.n}, (_, i) => i);
		createRng(deriveSeed(seed, 'shuffle', epoch)).shuffle(order);
		const rng = createRng(deriveSeed(seed, 'augment', epoch));
		for (let start = 0; start < order.length; start += config.batchSize) {
			const rows = Math.min(config.batchSize, order.length - start);
			const batch = new Float32Array(rows * 784);
			for (let i = 0; i < rows; i++) {
				batch.set(data.train.x.subarray(order[start + i] * 784, (order[start + i] + 1) * 784), i * 784);
			}

			const plain = batch.slice();
			standardizeRows(standardizer, plain, rows, 784);
			augmenter.apply(batch, rows, rng);
			standardizeRows(standardizer, batch, rows, 784);
			expected.push(batch);
			unaugmented += plain.every((value, i) => value === batch[i]) ? 1 : 0;
		}
	}

	t.is(seen.batches.length, expected.length);
	t.true(seen.batches.every((batch, b) => batch.every((value, i) => value === expected[b][i])), 'every training batch is the augmented, standardised batch');
	t.is(unaugmented, 0, 'augmentation changed every batch');

	// Validation after each epoch and the test at the end: standardised with the training statistics, never augmented.
	const validation = standardizedSet(standardizer, data.validation).x;
	const testSet = standardizedSet(standardizer, data.test).x;
	t.is(seen.evaluated.length, config.epochs + 1);
	for (const evaluated of seen.evaluated.slice(0, -1)) {
		t.deepEqual(evaluated, validation);
	}

	t.deepEqual(seen.evaluated.at(-1), testSet);
	// Statistics of all the images rather than the training split's would give other validation inputs.
	const everything = fitStandardizer('per-pixel', {x: Float32Array.from([...data.train.x, ...data.validation.x]), y: new Uint8Array(0), n: data.train.n + data.validation.n})!;
	t.notDeepEqual(standardizedSet(everything, data.validation).x, validation);

	// One rate per step (320 images: 5 batches an epoch): the cosine schedule's, set only when it changes.
	t.is(data.train.n, 320);
	const schedule = new LearningRateSchedule(config.lrSchedule!, config.learningRate, config.epochs, 5);
	const rates = Array.from({length: 10}, (_, step) => schedule.rateAt(Math.floor(step / 5) + 1, step % 5)).filter((rate, step, all) => step === 0 || rate !== all[step - 1]);
	t.deepEqual(seen.rates, rates);
	t.deepEqual(seen.rates.slice(0, 5), [1, 2, 3, 4, 5].map(k => config.learningRate * k / 5));
});

test.serial('a trial with every feature on is deterministic for its seed', async t => {
	const features: Partial<TrialConfig> = {augment: {translate: 1, flip: true}, standardize: 'global', lrSchedule: {kind: 'plateau', patience: 1, factor: 0.5, minLr: 0}, weightDecay: 0.01, labelSmoothing: 0.1};
	const first = await train(features, 4);
	const again = await train(features, 4);
	const plain = await train({}, 4);
	t.deepEqual(first.metrics, again.metrics);
	t.is(first.result.testAccuracy, again.result.testAccuracy);
	t.notDeepEqual(first.metrics, plain.metrics);
});
