import test from 'ava';
import {ashaRungs} from '../../src/pruners/asha.js';
import {decidePrune} from '../../src/pruners/pruner.js';
import type {PrunerPeer} from '../../src/pruners/pruner.js';
import {prunerSpecProblems} from '../../src/sweep/pruner-spec.js';
import {epochStep, type PrunerSpec} from '../../src/types.js';
import {history, peer, trial} from './helpers.js';

const median: PrunerSpec = {kind: 'median', warmupEpochs: 1, minTrials: 3};

// ---- median ---------------------------------------------------------------------------------------------

const fiveCompleted = (): PrunerPeer[] => [peer([0.7, 0.8, 0.85]), peer([0.7, 0.75, 0.8]), peer([0.6, 0.82, 0.9]), peer([0.5, 0.6, 0.7]), peer([0.65, 0.7, 0.72])];

test('median: prunes a trial whose best-so-far is below the median of completed trials at that epoch, with the numbers', (t) => {
	// Best-so-far at epoch 2 of the completed trials: 0.8, 0.75, 0.82, 0.6, 0.7 -> median 0.75.
	const decision = decidePrune(median, trial([0.6, 0.7]), fiveCompleted());
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /0\.700.*epoch 2.*median 0\.750.*5 completed/);
		t.false(decision.reason.includes('\n'));
	}
	t.deepEqual(decidePrune(median, trial([0.6, 0.76]), fiveCompleted()), {prune: false});
});

test('median: compares best-so-far, so an earlier good epoch protects the trial', (t) => {
	// 0.78 at epoch 1 is still the best by epoch 2 although epoch 2 dropped to 0.5.
	t.deepEqual(decidePrune(median, trial([0.78, 0.5]), fiveCompleted()), {prune: false});
});

test('median: no pruning during warm-up', (t) => {
	const others = fiveCompleted();
	t.deepEqual(decidePrune({...median, warmupEpochs: 2}, trial([0.1, 0.1]), others), {prune: false});
	t.true(decidePrune({...median, warmupEpochs: 2}, trial([0.1, 0.1, 0.1]), others).prune);
	// warmupEpochs 0 judges the very first epoch.
	t.true(decidePrune({...median, warmupEpochs: 0}, trial([0.1]), others).prune);
});

test('median: needs minTrials completed trials that reached the epoch; running, pruned and short trials do not count', (t) => {
	const others = [
		peer([0.9, 0.9]),
		peer([0.9, 0.9]),
		peer([0.9, 0.9, 0.9], 'running'),
		peer([0.9, 0.9, 0.9], 'pruned'),
		peer([0.9]), // completed, but stopped early before epoch 2
	];
	t.deepEqual(decidePrune(median, trial([0.1, 0.1]), others), {prune: false});
	t.true(decidePrune(median, trial([0.1, 0.1]), [...others, peer([0.9, 0.9])]).prune);
});

test('median: a tie with the median survives; even counts average the middle two', (t) => {
	const others = [peer([0.5, 0.6]), peer([0.5, 0.7]), peer([0.5, 0.8]), peer([0.5, 0.9])];
	// Median of 0.6, 0.7, 0.8, 0.9 is 0.75.
	t.deepEqual(decidePrune(median, trial([0.5, 0.75]), others), {prune: false});
	t.true(decidePrune(median, trial([0.5, 0.74]), others).prune);
});

test('median: NaN accuracies count as worst, for the trial and for the completed trials', (t) => {
	t.true(decidePrune(median, trial([Number.NaN, Number.NaN]), fiveCompleted()).prune);
	// Three of five completed trials diverged: the median is NaN-worst, so a low but finite trial survives.
	const diverged = [peer([Number.NaN, Number.NaN]), peer([Number.NaN, Number.NaN]), peer([Number.NaN, Number.NaN]), peer([0.9, 0.9]), peer([0.9, 0.9])];
	t.deepEqual(decidePrune(median, trial([0.1, 0.1]), diverged), {prune: false});
	// NaN in one epoch does not hide a finite best-so-far.
	t.deepEqual(decidePrune(median, trial([0.8, Number.NaN]), fiveCompleted()), {prune: false});
});

test('median: the trial itself in `others` is ignored', (t) => {
	const self: PrunerPeer = {id: 1, ordinal: 0, state: 'completed', steps: history([0.1, 0.1])};
	const others = [peer([0.9, 0.9]), peer([0.9, 0.9]), self];
	t.deepEqual(decidePrune(median, trial([0.1, 0.1]), others), {prune: false});
});

// ---- asha -----------------------------------------------------------------------------------------------

const asha: PrunerSpec = {kind: 'asha', minEpochs: 1, maxEpochs: 10, reductionFactor: 3};
const hyperband: PrunerSpec = {kind: 'hyperband', minEpochs: 1, maxEpochs: 10, reductionFactor: 3};

test('asha: rungs are minEpochs * factor^i below maxEpochs', (t) => {
	t.deepEqual(ashaRungs({minEpochs: 1, maxEpochs: 10, reductionFactor: 3}), [1, 3, 9]);
	t.deepEqual(ashaRungs({minEpochs: 1, maxEpochs: 9, reductionFactor: 3}), [1, 3]);
	t.deepEqual(ashaRungs({minEpochs: 2, maxEpochs: 20, reductionFactor: 2}), [2, 4, 8, 16]);
});

test('asha: at a rung, keeps the top 1/factor of every trial that reached it, whatever its state', (t) => {
	const others = [
		peer([0.9, 0.9, 0.9], 'completed'),
		peer([0.5, 0.5, 0.85], 'pruned'),
		peer([0.5, 0.5, 0.5], 'running'),
		peer([0.5, 0.5, 0.4], 'completed'),
		peer([0.5, 0.5, 0.3], 'running'),
		peer([0.6, 0.6], 'running'), // has not reached rung 3: not counted
	];
	// Six at rung 3 with the trial: keep 2 (0.9 and 0.85), so 0.8 is pruned and 0.85 (a tie) goes on.
	const decision = decidePrune(asha, trial([0.5, 0.5, 0.8]), others);
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /0\.800.*rung epoch 3.*top 2 of 6.*cut-off 0\.850/);
	}
	t.deepEqual(decidePrune(asha, trial([0.5, 0.5, 0.85]), others), {prune: false});
	t.deepEqual(decidePrune(asha, trial([0.5, 0.5, 0.95]), others), {prune: false});
});

test('asha: decides only at rung epochs, on the value at the rung', (t) => {
	const others = [peer([0.9, 0.9, 0.9, 0.9]), peer([0.9, 0.9, 0.9, 0.9]), peer([0.9, 0.9, 0.9, 0.9])];
	// Epochs 2 and 4 are between rungs 1, 3 and 9: never pruned there, however bad.
	t.deepEqual(decidePrune(asha, trial([0.9, 0.1]), others), {prune: false});
	t.deepEqual(decidePrune(asha, trial([0.9, 0.9, 0.95, 0.1]), others), {prune: false});
	// Rung 3 judges epoch 3's value, not the best so far.
	t.true(decidePrune(asha, trial([0.95, 0.95, 0.1]), others).prune);
	// Rung 1 with minEpochs 1.
	t.true(decidePrune(asha, trial([0.1]), others).prune);
	// The last epoch (maxEpochs) is no rung: the trial has finished its budget.
	const tenEpochs = [peer(new Array<number>(10).fill(0.9)), peer(new Array<number>(10).fill(0.9))];
	t.deepEqual(decidePrune(asha, trial([...new Array<number>(9).fill(0.95), 0.1]), tenEpochs), {prune: false});
});

test('asha: the first trial at a rung goes on; a lone competitor must be matched', (t) => {
	t.deepEqual(decidePrune(asha, trial([0.1]), []), {prune: false});
	// Two trials, factor 3: keep max(1, floor(2/3)) = 1, so the worse one stops.
	t.true(decidePrune(asha, trial([0.1]), [peer([0.2])]).prune);
	t.deepEqual(decidePrune(asha, trial([0.2]), [peer([0.2])]), {prune: false});
});

test('asha: NaN at the rung counts as worst', (t) => {
	const others = [peer([0.1]), peer([0.1]), peer([Number.NaN])];
	t.true(decidePrune(asha, trial([Number.NaN]), others.slice(0, 2)).prune);
	// With 4 trials, factor 3 keeps one: NaN competitors never beat a number.
	t.deepEqual(decidePrune(asha, trial([0.05]), [peer([Number.NaN]), peer([Number.NaN]), peer([Number.NaN])]), {prune: false});
});

// ---- pareto ---------------------------------------------------------------------------------------------

const pareto: PrunerSpec = {kind: 'pareto', warmupEpochs: 1, minTrials: 2};

test('pareto: prunes when minTrials completed trials were both more accurate and faster at the same epoch', (t) => {
	const others = [peer([0.8, 0.85], 'completed', 5), peer([0.75, 0.8], 'completed', 8), peer([0.9, 0.95], 'completed', 30)];
	// The trial: 0.7 by epoch 2 after 20 s. Two completed trials beat it on both; the third is more accurate but slower.
	const decision = decidePrune(pareto, trial([0.6, 0.7], 10), others);
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /0\.700 after 20\.0 s by epoch 2: 2 completed trials/);
		t.false(decision.reason.includes('\n'));
	}
	// A faster trial is not dominated on time by the 8 s/epoch trial: only one beats it on both.
	t.deepEqual(decidePrune(pareto, trial([0.6, 0.7], 6), others), {prune: false});
	// A more accurate trial is dominated by nobody but the 0.85 trial.
	t.deepEqual(decidePrune(pareto, trial([0.6, 0.82], 10), others), {prune: false});
});

test('pareto: ties on accuracy or time do not dominate', (t) => {
	const others = [peer([0.8, 0.8], 'completed', 5), peer([0.8, 0.8], 'completed', 5)];
	t.deepEqual(decidePrune(pareto, trial([0.8, 0.8], 10), others), {prune: false});
	t.deepEqual(decidePrune(pareto, trial([0.7, 0.7], 5), others), {prune: false});
	t.true(decidePrune(pareto, trial([0.7, 0.7], 6), others).prune);
});

test('pareto: warm-up, and only completed trials that reached the epoch count', (t) => {
	const strong = () => [peer([0.9, 0.9], 'completed', 1), peer([0.9, 0.9], 'completed', 1)];
	t.deepEqual(decidePrune(pareto, trial([0.1]), strong()), {prune: false});
	t.true(decidePrune(pareto, trial([0.1, 0.1]), strong()).prune);
	const notCompleted = [peer([0.9, 0.9], 'running', 1), peer([0.9, 0.9], 'pruned', 1), peer([0.9], 'completed', 1), peer([0.9, 0.9], 'completed', 1)];
	t.deepEqual(decidePrune(pareto, trial([0.1, 0.1]), notCompleted), {prune: false});
});

test('pareto: cumulative seconds are summed over epochs of unequal length, and NaN accuracy is worst', (t) => {
	const fastThenSlow: PrunerPeer = {
		id: 50,
		ordinal: 50,
		state: 'completed',
		steps: [
			epochStep({epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.9, seconds: 2}),
			epochStep({epoch: 2, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.9, seconds: 30}),
		],
	};
	const spec: PrunerSpec = {kind: 'pareto', warmupEpochs: 0, minTrials: 1};
	// At epoch 1 the peer had 2 s against the trial's 10 s; by epoch 2 it had 32 s against 20 s.
	t.true(decidePrune(spec, trial([0.5], 10), [fastThenSlow]).prune);
	t.deepEqual(decidePrune(spec, trial([0.5, 0.5], 10), [fastThenSlow]), {prune: false});
	t.true(decidePrune(spec, trial([Number.NaN], 10), [peer([0.1], 'completed', 1)]).prune);
	t.deepEqual(decidePrune(spec, trial([0.05], 10), [peer([Number.NaN], 'completed', 1)]), {prune: false});
});

// ---- specs ----------------------------------------------------------------------------------------------

test('spec problems name the key; decidePrune refuses an invalid spec', (t) => {
	t.deepEqual(prunerSpecProblems(median), []);
	t.deepEqual(prunerSpecProblems(asha), []);
	t.deepEqual(
		prunerSpecProblems({kind: 'asha', minEpochs: 1, maxEpochs: 10, reductionFactor: 1}).map((p) => p.key),
		['reductionFactor'],
	);
	t.deepEqual(
		prunerSpecProblems({kind: 'asha', minEpochs: 4, maxEpochs: 4, reductionFactor: 2}).map((p) => p.key),
		['maxEpochs'],
	);
	t.deepEqual(prunerSpecProblems(hyperband), []);
	t.deepEqual(prunerSpecProblems({kind: 'hyperband', minEpochs: 1, maxEpochs: 10, reductionFactor: 1}).map((p) => p.key), ['reductionFactor']);
	t.deepEqual(prunerSpecProblems({kind: 'hyperband', minEpochs: 9, maxEpochs: 3, reductionFactor: 3}).map((p) => p.key), ['maxEpochs']);
	t.deepEqual(
		prunerSpecProblems({kind: 'median', warmupEpochs: -1, minTrials: 0}).map((p) => p.key),
		['warmupEpochs', 'minTrials'],
	);
	t.throws(() => decidePrune({kind: 'asha', minEpochs: 1, maxEpochs: 10, reductionFactor: 1.5}, trial([0.5]), []), {instanceOf: RangeError, message: /reductionFactor/});
});

test('no epochs yet: never prunes', (t) => {
	for (const spec of [median, asha, hyperband, pareto]) {
		t.deepEqual(decidePrune(spec, {id: 1, ordinal: 0, steps: []}, fiveCompleted()), {prune: false});
	}
});
