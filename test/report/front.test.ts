import test from 'ava';
import {objectiveFront, kneeOf, type FrontPoint} from '../../src/report/front.js';
import type {StoredStep, TrialRecord} from '../../src/store/store.js';
import type {MetricSpec, TrialState} from '../../src/types.js';

const accuracyTime: MetricSpec[] = [{name: 'val_accuracy', goal: 'maximize'}, {name: 'train_seconds', goal: 'minimize'}];

let nextId = 1;
/** A trial of config `hash` with one step reaching `accuracy`, trained in `seconds`. */
function trial(hash: string, accuracy: number, seconds: number, state: TrialState = 'completed', ordinal = nextId): {trial: TrialRecord; steps: StoredStep[]} {
	const id = nextId++;
	const record = {
		id, sweepId: 1, ordinal, config: {h: hash}, configHash: hash, repeat: 0, seed: 0, state, attempts: 1, owner: null, heartbeatAt: null,
		backend: null, trainingPath: null, host: null, cores: null, paramCount: 100, startedAt: null, finishedAt: null, epochsRun: 1,
		testLoss: null, testAccuracy: null, finalMetrics: {}, trainSeconds: seconds, error: null, stopReason: null, logPath: null,
	} satisfies TrialRecord;
	return {trial: record, steps: [{id, trialId: id, step: 1, metrics: {val_accuracy: accuracy}, seconds}]};
}

function front(objectives: MetricSpec[], made: Array<{trial: TrialRecord; steps: StoredStep[]}>) {
	return objectiveFront(objectives, made.map(m => m.trial), made.flatMap(m => m.steps));
}

test('configs are ranked by non-domination on the sweep\'s objectives: rank 1 is the front, repeats are averaged', t => {
	const result = front(accuracyTime, [
		trial('a', 0.9, 10),
		trial('b', 0.8, 5),
		trial('c', 0.7, 8), // dominated by b
		trial('d', 0.6, 9), // dominated by b and c
		trial('e', 0.875, 40),
		trial('e', 0.625, 20), // e's mean: 0.75 in 30 s, dominated by a and b
		trial('f', 0.99, 1, 'pruned'), // not completed: no values
	]);
	const rank = Object.fromEntries(result.points.map(point => [point.configHash, point.rank]));
	t.deepEqual(rank, {a: 1, b: 1, c: 2, d: 3, e: 2, f: null});
	t.deepEqual(result.points.find(point => point.configHash === 'e')!.values, [0.75, 30]);
});

test('the hypervolume after 10, 25, 50 and all trials, on the scale of the completed trials, never falls', t => {
	// 60 trials by ordinal: the 10th finds the best accuracy, the 30th the fastest time, the rest are dominated.
	const made = Array.from({length: 60}, (_, i) => {
		if (i === 9) {
			return trial(`t${i}`, 0.9, 50, 'completed', i);
		}

		if (i === 29) {
			return trial(`t${i}`, 0.8, 10, 'completed', i);
		}

		return trial(`t${i}`, 0.5, 50 + (i % 3), i % 7 === 0 ? 'failed' : 'completed', i);
	});
	const result = front(accuracyTime, made);
	t.deepEqual(result.hypervolume.map(point => point.trials), [10, 25, 50, 60]);
	// Scale: accuracy 0.9 (best) to 0.5 (worst), time 10 to 52 s. After 10 trials the front is (0, 40/42) on the
	// scaled losses; the reference is 1.1 in each, so 1.1 x (1.1 - 40/42).
	t.is(result.hypervolume[0].hypervolume.toFixed(6), (1.1 * (1.1 - (40 / 42))).toFixed(6));
	t.is(result.hypervolume[1].hypervolume, result.hypervolume[0].hypervolume);
	// The 30th adds the fast point (0.25, 0): boxes 1.1 x 0.85 + (1.1 - 0.25) ... the union of the two.
	const expected = (1.1 * (1.1 - (40 / 42))) + ((1.1 - 0.25) * (40 / 42));
	t.is(result.hypervolume[2].hypervolume.toFixed(6), expected.toFixed(6));
	t.is(result.hypervolume[3].hypervolume, result.hypervolume[2].hypervolume);
	t.deepEqual(result.scale, [{best: 0.9, worst: 0.5}, {best: 10, worst: 52}]);
});

test('a sweep of fewer than 10 trials has one hypervolume, after all of them', t => {
	const result = front(accuracyTime, [trial('a', 0.9, 10, 'completed', 0), trial('b', 0.8, 5, 'completed', 1)]);
	t.deepEqual(result.hypervolume.map(point => point.trials), [2]);
	t.true(result.hypervolume[0].hypervolume > 0);
});

test('the knee of two objectives is the front point farthest above the chord; of three, the one nearest the ideal point', t => {
	// Scaled over the front: accuracy 0, 0.8, 1 against time 0, 0.2, 1: the middle point bends the front.
	const two = front(accuracyTime, [trial('fast', 0.5, 1), trial('knee', 0.9, 10), trial('best', 1, 46), trial('bad', 0.4, 50)]);
	t.is(two.knee, 'knee');
	const points = (values: number[][]): FrontPoint[] => values.map((v, i) => ({configHash: String(i), values: v, rank: 1}));
	const three: MetricSpec[] = [...accuracyTime, {name: 'params', goal: 'minimize'}];
	// Scaled to [0, 1] each (losses): (0, 1, 1), (1, 0, 1), (1, 1, 0), (0.2, 0.2, 0.3): the last is nearest the ideal.
	t.is(kneeOf(three, points([[1, 10, 1000], [0.5, 1, 1000], [0.5, 10, 100], [0.9, 2.8, 370]])), 3);
	// Two distinct front points have no knee.
	t.is(kneeOf(three, points([[1, 10, 1000], [0.5, 1, 1000]])), undefined);
});
