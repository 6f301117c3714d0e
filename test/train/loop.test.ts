import test from 'ava';
import {loadDataset, splitDataset, type SplitData} from '../../src/data/load.js';
import {loadBackend} from '../../src/train/backend.js';
import {trainTrial, type TrainHooks} from '../../src/train/loop.js';
import type {ModelShape} from '../../src/train/model.js';
import {DEFAULT_TRIAL_CONFIG, type EpochRecord, type TrialConfig} from '../../src/types.js';

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

	const kept = await train({epochs: 6, earlyStopping: {monitor: 'val_loss', patience: 2, minDelta: 10, restoreBest: false}}, 21);
	t.is(kept.result.epochsRun, 3);
	t.not(kept.result.testLoss, oneEpoch.result.testLoss, 'without restoreBest the last epoch\'s weights are tested');
});

test.serial('a pruner verdict after an epoch ends the trial as pruned before another epoch runs', async t => {
	const {result, epochs} = await train({epochs: 5}, 4, {afterEpoch: async record => (record.epoch === 2 ? 'below the median' : undefined)});
	t.is(result.state, 'pruned');
	t.is(result.epochsRun, 2);
	t.is(result.stopReason, 'below the median');
	t.is(epochs.length, 2);
	t.is(result.testAccuracy, undefined);
});
