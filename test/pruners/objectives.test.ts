/**
 * Pruning a multi-objective sweep: the pareto pruner over the sweep's objectives, and median/asha on a weighted sum.
 */
import test from 'ava';
import {decidePrune} from '../../src/pruners/pruner.js';
import type {PrunerPeer, PrunerTrial} from '../../src/pruners/pruner.js';
import type {MetricSpec, PrunerSpec, StepRecord} from '../../src/types.js';

const accuracyTime: MetricSpec[] = [{name: 'val_accuracy', goal: 'maximize'}, {name: 'train_seconds', goal: 'minimize'}];
const accuracyParams: MetricSpec[] = [{name: 'val_accuracy', goal: 'maximize'}, {name: 'params', goal: 'minimize'}];
const pareto: PrunerSpec = {kind: 'pareto', warmupEpochs: 1, minTrials: 1};

/** Epochs 1..n with these validation accuracies, each taking `seconds`. */
function steps(accuracies: number[], seconds = 10): StepRecord[] {
	return accuracies.map((accuracy, i) => ({step: i + 1, metrics: {val_accuracy: accuracy, val_loss: 1 - accuracy}, seconds}));
}

let nextId = 100;
function peer(accuracies: number[], options: {seconds?: number; state?: string; paramCount?: number} = {}): PrunerPeer {
	const id = nextId++;
	return {id, ordinal: id, state: options.state ?? 'completed', steps: steps(accuracies, options.seconds), paramCount: options.paramCount};
}

function judged(accuracies: number[], options: {seconds?: number; paramCount?: number} = {}): PrunerTrial {
	return {id: 1, ordinal: 1, steps: steps(accuracies, options.seconds), paramCount: options.paramCount};
}

const decide = (spec: PrunerSpec, trial: PrunerTrial, peers: PrunerPeer[], objectives: MetricSpec[]) => decidePrune(spec, trial, peers, objectives[0], objectives);

test('pareto over accuracy and train_seconds: a trial that has already spent more than a better trial\'s whole run is pruned, with the numbers', t => {
	// The peer: 3 epochs of 10 s (30 s in all), 0.8 by epoch 2. The judged trial: 20 s per epoch, 40 s by epoch 2 and 0.7.
	const decision = decide(pareto, judged([0.6, 0.7], {seconds: 20}), [peer([0.7, 0.8, 0.85])], accuracyTime);
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /^val_accuracy 0\.7000, train_seconds 40 by epoch 2: 1 completed trial dominates it \(e\.g\. trial \d+: val_accuracy 0\.8000, train_seconds 30; needs 1\)$/);
	}
});

test('pareto over accuracy and train_seconds: a growing cost is held against the peer\'s whole cost, so a trial that could still be cheaper goes on', t => {
	// By epoch 2 the judged trial has spent 20 s and the peer had spent 20 s too, but the peer's whole run cost 30 s:
	// the judged trial may stop at 2 or 3 epochs' worth and be cheaper, so it can still reach the front.
	t.deepEqual(decide(pareto, judged([0.6, 0.7], {seconds: 10}), [peer([0.7, 0.8, 0.85])], accuracyTime), {prune: false});
	// Once it has spent more than 30 s (epoch 4), it never can.
	t.true(decide(pareto, judged([0.6, 0.7, 0.7, 0.7], {seconds: 10}), [peer([0.7, 0.8, 0.85])], accuracyTime).prune);
});

test('pareto over accuracy and train_seconds: the metric is compared by the same epoch, so a trial ahead by then goes on however slow', t => {
	// 0.9 by epoch 2 against the peer's 0.8 by epoch 2 (its 0.95 at epoch 3 does not count yet).
	t.deepEqual(decide(pareto, judged([0.6, 0.9], {seconds: 100}), [peer([0.7, 0.8, 0.95])], accuracyTime), {prune: false});
	t.true(decide(pareto, judged([0.6, 0.9, 0.9], {seconds: 100}), [peer([0.7, 0.8, 0.95])], accuracyTime).prune);
});

test('pareto over accuracy and params: an equal parameter count and a worse accuracy is dominated; a smaller model is not', t => {
	const others = [peer([0.8, 0.85], {paramCount: 1000})];
	t.true(decide(pareto, judged([0.7, 0.75], {paramCount: 1000}), others, accuracyParams).prune);
	t.deepEqual(decide(pareto, judged([0.7, 0.75], {paramCount: 999}), others, accuracyParams), {prune: false});
	// Equal on both: neither dominates.
	t.deepEqual(decide(pareto, judged([0.8, 0.85], {paramCount: 1000}), others, accuracyParams), {prune: false});
	// A trial whose model is not built yet has no count: it cannot be smaller than one that has.
	t.true(decide(pareto, judged([0.7, 0.75]), others, accuracyParams).prune);
});

test('pareto over several objectives: warm-up, minTrials, and only completed peers count', t => {
	const slowWorse = judged([0.5, 0.5, 0.5], {seconds: 50});
	const better = () => peer([0.9, 0.9], {seconds: 1});
	t.deepEqual(decide({...pareto, warmupEpochs: 3}, slowWorse, [better()], accuracyTime), {prune: false});
	t.deepEqual(decide({...pareto, minTrials: 2}, slowWorse, [better()], accuracyTime), {prune: false});
	t.true(decide({...pareto, minTrials: 2}, slowWorse, [better(), better()], accuracyTime).prune);
	t.deepEqual(decide(pareto, slowWorse, [peer([0.9, 0.9], {seconds: 1, state: 'running'}), peer([0.9, 0.9], {seconds: 1, state: 'pruned'})], accuracyTime), {prune: false});
});

test('pareto over three objectives: dominated only when no objective is better', t => {
	const three: MetricSpec[] = [...accuracyTime, {name: 'params', goal: 'minimize'}];
	const others = [peer([0.9, 0.9], {seconds: 1, paramCount: 5000})];
	t.true(decide(pareto, judged([0.5, 0.5, 0.5], {seconds: 50, paramCount: 5000}), others, three).prune);
	t.deepEqual(decide(pareto, judged([0.5, 0.5, 0.5], {seconds: 50, paramCount: 4000}), others, three), {prune: false});
});

test('one-metric sweeps keep the accuracy-against-time pareto pruner (strictly better and faster by the same epoch)', t => {
	// Under the multi-objective rule this would go on (20 s by epoch 2 against a 30 s peer); the one-metric rule compares 20 s with 20 s, not faster.
	t.deepEqual(decidePrune(pareto, judged([0.6, 0.7]), [peer([0.7, 0.8, 0.85])]), {prune: false});
	t.true(decidePrune(pareto, judged([0.6, 0.7], {seconds: 11}), [peer([0.7, 0.8, 0.85])]).prune);
});

test('asha with scalarize: the weighted sum of the objectives scaled over the trials at the rung decides', t => {
	const asha: PrunerSpec = {kind: 'asha', minEpochs: 1, maxEpochs: 9, reductionFactor: 3, scalarize: {weights: [0.5, 0.5]}};
	// At rung 1: accuracies 0.9, 0.6, 0.5 and epoch times 50, 10, 10 s.
	const others = [peer([0.9], {seconds: 50, state: 'running'}), peer([0.6], {seconds: 10, state: 'running'})];
	// The judged trial (0.5 in 10 s) scores 0.5 x 0 + 0.5 x 1 = 0.5, as the accurate one (0.5 x 1 + 0.5 x 0); 0.6 in 10 s scores 0.625 and is the one kept.
	const decision = decide(asha, judged([0.5], {seconds: 10}), others, accuracyTime);
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /^score\(0\.5 val_accuracy \+ 0\.5 train_seconds\) 0\.500 at rung epoch 1 not in the top 1 of 3 trials there/);
	}

	// All weight on time: the judged trial is among the fastest, tied with the cut-off, and goes on.
	t.deepEqual(decide({...asha, scalarize: {weights: [0, 1]}}, judged([0.5], {seconds: 10}), others, accuracyTime), {prune: false});
	// All weight on accuracy: as plain ASHA on val_accuracy.
	t.true(decide({...asha, scalarize: {weights: [1, 0]}}, judged([0.5], {seconds: 10}), others, accuracyTime).prune);
	t.deepEqual(decide({...asha, scalarize: {weights: [1, 0]}}, judged([0.95], {seconds: 10}), others, accuracyTime), {prune: false});
});

test('median with scalarize: a trial with a non-finite objective scores below all', t => {
	const median: PrunerSpec = {kind: 'median', warmupEpochs: 0, minTrials: 2, scalarize: {weights: [1, 1]}};
	const others = [peer([0.5], {seconds: 10}), peer([0.6], {seconds: 10})];
	const diverged: PrunerTrial = {id: 1, ordinal: 1, steps: [{step: 1, metrics: {val_accuracy: Number.NaN}, seconds: 1}]};
	t.true(decide(median, diverged, others, accuracyTime).prune);
	t.deepEqual(decide(median, judged([0.7], {seconds: 5}), others, accuracyTime), {prune: false});
});
