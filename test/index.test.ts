import test from 'ava';
// By the package's own name, as a user's objective imports it (package.json "exports" and "types").
import type {CheckpointState, Trial} from 'sweeplab';
import {loadDataset, TrialPruned} from 'sweeplab';

test('the package exports the objective API under its name: the Trial type, TrialPruned and the dataset loaders', async t => {
	const reported: Array<[number, Record<string, number>]> = [];
	let saved: CheckpointState = {weights: [Float32Array.of(1)], step: 0};
	const trial: Trial<{units: number}> = {
		id: 1,
		params: {units: 32},
		seed: 7,
		async report(step, metrics) {
			reported.push([step, metrics]);
			if (step > 1) {
				throw new TrialPruned('below the median');
			}
		},
		shouldPrune: () => false,
		checkpoint(state) {
			saved = state as CheckpointState;
			return true;
		},
		restore: <S>() => saved as S,
		resumedStep: 0,
	};
	await trial.report(1, {val_accuracy: trial.params.units / 100});
	const error = await t.throwsAsync(trial.report(2, {val_accuracy: 0.1}), {instanceOf: TrialPruned});
	t.is(error?.reason, 'below the median');
	t.deepEqual(reported, [[1, {val_accuracy: 0.32}], [2, {val_accuracy: 0.1}]]);
	t.true(trial.checkpoint({weights: [Float32Array.of(2)], step: 1}));
	t.deepEqual(trial.restore<{weights: Float32Array[]; step: number}>()?.weights, [Float32Array.of(2)]);
	t.is(typeof loadDataset, 'function');
});
