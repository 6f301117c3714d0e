import test from 'ava';
import {leaderboard} from '../../src/report/leaderboard.js';
import {tradeoffStatement} from '../../src/report/markdown.js';
import {tradeoff} from '../../src/report/ranking.js';
import {testedEpoch} from '../../src/train/early-stopping.js';
import {DEFAULT_METRIC, type EarlyStopping} from '../../src/types.js';
import {storeWith, type PlannedTrial} from './helpers.js';

const restoring: EarlyStopping = {monitor: 'val_loss', patience: 2, minDelta: 0.001, restoreBest: true};

async function rowsOf(t: Parameters<typeof storeWith>[0], plan: PlannedTrial[]) {
	const {store, sweep} = await storeWith(t, plan);
	const rows = leaderboard(await store.trials(sweep.id), await store.steps(sweep.id), DEFAULT_METRIC);
	return new Map(rows.map(row => [(row.config.hidden as number[])[0], row]));
}

test('validation and test numbers of the same weights: the epoch the trial reports as test_epoch', async t => {
	const rows = await rowsOf(t, [
		// The last epoch's weights were tested: not the best epoch's (2).
		{hidden: 8, valAccuracies: [0.6, 0.8, 0.7], outcome: {metrics: {test_accuracy: 0.69, test_epoch: 3}}},
		// Early stopping restored epoch 2: the tested weights are the best epoch's.
		{hidden: 16, valAccuracies: [0.6, 0.8, 0.7], outcome: {metrics: {test_accuracy: 0.79, test_epoch: 2}}},
	]);
	const last = rows.get(8)!;
	t.is(last.value.mean, 0.8, 'ranked by the best epoch');
	t.is(last.bestEpoch.mean, 2);
	t.is(last.testedEpoch.mean, 3);
	t.is(last.testedValue.mean, 0.7);
	t.is(last.testAccuracy.mean, 0.69);
	const restored = rows.get(16)!;
	t.is(restored.testedEpoch.mean, 2);
	t.is(restored.testedValue.mean, 0.8);
});

test('trials recorded without test_epoch: the last epoch, or the one early stopping\'s rule restored', async t => {
	const rows = await rowsOf(t, [
		{hidden: 8, valAccuracies: [0.6, 0.7, 0.75, 0.72]},
		// Epoch 3's loss beats epoch 2's by less than minDelta: epoch 2's weights were kept although epoch 3 is the best by accuracy.
		{hidden: 16, valAccuracies: [0.6, 0.7, 0.75, 0.72], valLosses: [0.5, 0.4, 0.3995, 0.45], config: {earlyStopping: restoring}},
		{hidden: 32, valAccuracies: [0.6, 0.7, 0.75, 0.72], valLosses: [0.5, 0.4, 0.3995, 0.45], config: {earlyStopping: {...restoring, restoreBest: false}}},
	]);
	t.deepEqual([8, 16, 32].map(hidden => [rows.get(hidden)!.testedEpoch.mean, rows.get(hidden)!.testedValue.mean]), [[4, 0.72], [2, 0.7], [4, 0.72]]);
	t.is(rows.get(16)!.value.mean, 0.75);
});

test('the replayed rule is the early stopper\'s: a relative minDelta, and accuracy monitored', t => {
	const epochs = [0.5, 0.4, 0.397, 0.39].map((valLoss, i) => ({epoch: i + 1, valLoss, valAccuracy: [0.6, 0.7, 0.7, 0.71][i]}));
	t.is(testedEpoch(restoring, epochs), 4, '0.39 beats 0.4 by more than 0.001');
	t.is(testedEpoch({...restoring, minDelta: '5%'}, epochs), 2, '0.39 is within 5% of 0.4');
	t.is(testedEpoch({...restoring, monitor: 'val_accuracy', minDelta: 0}, epochs), 4);
	t.is(testedEpoch({...restoring, monitor: 'val_accuracy', minDelta: 0.02}, epochs), 2);
	t.is(testedEpoch(null, epochs), 4);
	t.is(testedEpoch(null, []), undefined);
});

test('the answer quotes the test accuracy with the validation accuracy of the same weights and their epoch', async t => {
	const rows = await rowsOf(t, [
		{hidden: 8, repeat: 0, valAccuracies: [0.6, 0.8, 0.7], outcome: {metrics: {test_accuracy: 0.69, test_epoch: 3}}},
		{hidden: 8, repeat: 1, valAccuracies: [0.6, 0.82, 0.72], outcome: {metrics: {test_accuracy: 0.71, test_epoch: 3}}},
	]);
	const text = tradeoffStatement(tradeoff([...rows.values()]), config => `hidden=${String(config.hidden)}`);
	t.regex(text, /best validation accuracy is \*\*81\.00% ± 1\.41\*\*/);
	t.regex(text, /its test accuracy is 70\.00% ± 1\.41, of the weights after epoch 3 \(validation accuracy 71\.00% ± 1\.41 for those same weights\)/);
});
