import test from 'ava';
import {bracketOf, hyperbandBrackets} from '../../src/pruners/hyperband.js';
import {decidePrune} from '../../src/pruners/pruner.js';
import type {PrunerSpec} from '../../src/types.js';
import {peer, trial} from './helpers.js';

const spec = {kind: 'hyperband', minEpochs: 1, maxEpochs: 10, reductionFactor: 3} as const satisfies PrunerSpec;

// Trial ordinals by bracket for `spec` (see the assignment test): 0-3 in bracket 0, 9 and 12 in 1, 4-6 and 8 in 2.
const exploratory = [0, 1, 2, 3];
const middle = [9, 12, 18, 19];
const conservative = [4, 5, 6, 8];

test('brackets: first rungs minEpochs * factor^s up to maxEpochs, with Optuna 3.1\'s trial budgets', (t) => {
	const brackets = hyperbandBrackets(spec);
	t.deepEqual(brackets.map(b => b.ladder.minEpochs), [1, 3, 9]);
	t.deepEqual(brackets.map(b => b.rungs), [[1, 3, 9], [3, 9], [9]]);
	// optuna.pruners.HyperbandPruner(min_resource=1, max_resource=10, reduction_factor=3)._trial_allocation_budgets
	t.deepEqual(brackets.map(b => b.budget), [9, 5, 3]);
	t.deepEqual(hyperbandBrackets({...spec, maxEpochs: 27}).map(b => b.budget), [27, 12, 6, 4]);
	t.deepEqual(hyperbandBrackets({...spec, minEpochs: 2, maxEpochs: 20, reductionFactor: 2}).map(b => b.budget), [8, 6, 4, 4]);
	// An exact power: the last bracket starts at maxEpochs itself, so its trials train in full.
	t.deepEqual(hyperbandBrackets({...spec, maxEpochs: 9}).map(b => b.rungs), [[1, 3], [3], []]);
	// Fewer than factor x minEpochs epochs: one bracket, which is ASHA.
	t.deepEqual(hyperbandBrackets({...spec, maxEpochs: 2}).map(b => b.rungs), [[1]]);
});

test('brackets are assigned by a CRC-32 of the trial ordinal, as Optuna assigns trial numbers, in proportion to the budgets', (t) => {
	const brackets = hyperbandBrackets(spec);
	// Optuna 3.1's _get_bracket_id with the same budgets on binascii.crc32(str(number)) for numbers 0-23.
	const optuna = [0, 0, 0, 0, 2, 2, 2, 0, 2, 1, 0, 0, 1, 0, 0, 0, 2, 0, 1, 1, 1, 1, 0, 0];
	t.deepEqual(optuna.map((_, ordinal) => bracketOf(brackets, ordinal)), optuna);
	for (const [s, ordinals] of [exploratory, middle, conservative].entries()) {
		t.true(ordinals.every(ordinal => bracketOf(brackets, ordinal) === s));
	}

	const counts = [0, 0, 0];
	for (let ordinal = 0; ordinal < 17_000; ordinal++) {
		counts[bracketOf(brackets, ordinal)]++;
	}

	t.log(counts);
	for (const [s, budget] of [9, 5, 3].entries()) {
		t.true(Math.abs(counts[s] / 17_000 - budget / 17) < 0.02, `bracket ${s}: ${counts[s]} of 17,000`);
	}
});

test('a trial in the most exploratory bracket is pruned at its first rung; one in the conservative bracket is not', (t) => {
	const strong = [...exploratory.slice(1), ...conservative.slice(1)].map(ordinal => peer([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], 'completed', 10, ordinal));
	const early = decidePrune(spec, trial([0.1], 10, exploratory[0]), strong);
	t.true(early.prune);
	if (early.prune) {
		t.regex(early.reason, /^hyperband bracket 1 of 3 \(rungs at epochs 1, 3, 9\): val_accuracy 0\.100 at rung epoch 1 not in the top 1 of 4 trials there/);
	}

	// The same weak start in the conservative bracket goes on until its one rung at epoch 9.
	for (let epochs = 1; epochs <= 8; epochs++) {
		t.deepEqual(decidePrune(spec, trial(new Array<number>(epochs).fill(0.1), 10, conservative[0]), strong), {prune: false}, `epoch ${epochs}`);
	}

	const late = decidePrune(spec, trial(new Array<number>(9).fill(0.1), 10, conservative[0]), strong);
	t.true(late.prune);
	if (late.prune) {
		t.regex(late.reason, /^hyperband bracket 3 of 3 \(rungs at epochs 9\): .* at rung epoch 9 not in the top 1 of 4 trials there/);
	}
});

test('each bracket promotes at its own rungs, compared only with the trials of that bracket', (t) => {
	// Bracket 1 (rungs 3, 9): its peers are weak; bracket 0's strong trials must not count against it.
	const others = [
		...exploratory.map(ordinal => peer([0.9, 0.9, 0.9], 'completed', 10, ordinal)),
		...middle.slice(1).map(ordinal => peer([0.2, 0.2, 0.2], 'pruned', 10, ordinal)),
	];
	const judged = (accuracies: number[]) => decidePrune(spec, trial(accuracies, 10, middle[0]), others);
	// Epoch 1 is not one of bracket 1's rungs.
	t.deepEqual(judged([0.01]), {prune: false});
	// At epoch 3: 0.5 is the best of the 4 bracket-1 trials there (itself and three at 0.2), though below every bracket-0 trial.
	t.deepEqual(judged([0.5, 0.5, 0.5]), {prune: false});
	// 0.1 is below the top 1 of 4 within the bracket.
	const decision = judged([0.1, 0.1, 0.1]);
	t.true(decision.prune);
	if (decision.prune) {
		t.regex(decision.reason, /bracket 2 of 3 .*rung epoch 3 not in the top 1 of 4 trials there \(1\/3; cut-off 0\.200\)/);
	}

	// The same 0.5 in bracket 0 at its epoch-3 rung faces bracket 0's trials and is pruned.
	t.true(decidePrune(spec, trial([0.9, 0.5, 0.5], 10, exploratory[0]), others).prune);
	// With a lone competitor in the bracket, the first trial there goes on; ASHA would prune it against the others.
	t.deepEqual(decidePrune(spec, trial([0.1, 0.1, 0.1], 10, middle[0]), others.slice(0, 4)), {prune: false});
	t.true(decidePrune({kind: 'asha', minEpochs: 3, maxEpochs: 10, reductionFactor: 3}, trial([0.1, 0.1, 0.1]), others.slice(0, 4)).prune);
});
