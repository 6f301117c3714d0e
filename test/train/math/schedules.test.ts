import test from 'ava';
import {LearningRateSchedule} from '../../../src/train/math/schedules.js';

/** Every batch's rate over `epochs` epochs of `steps` batches, with `losses[e]` as epoch e + 1's validation loss. */
function rates(schedule: LearningRateSchedule, epochs: number, steps: number, losses: number[] = []): number[][] {
	return Array.from({length: epochs}, (_, e) => {
		const epoch = Array.from({length: steps}, (_, s) => schedule.rateAt(e + 1, s));
		schedule.endEpoch(losses[e] ?? 1);
		return epoch;
	});
}

function assertRates(t: {true(value: boolean, message?: string): void}, actual: number[][], expected: number[][]): void {
	for (const [e, epoch] of expected.entries()) {
		for (const [s, rate] of epoch.entries()) {
			t.true(Math.abs(actual[e][s] - rate) < 1e-12, `epoch ${e + 1} step ${s}: ${actual[e][s]}, expected ${rate}`);
		}
	}
}

test('cosine: linear warm-up per step over warmupEpochs, then cosine to 0 per step', t => {
	// 3 epochs of 4 steps, 1 warm-up epoch: warm-up 0.25, 0.5, 0.75, 1 (x 0.1), then 8 steps of cosine, t = k / 8.
	const cosine = (k: number) => 0.1 * 0.5 * (1 + Math.cos(Math.PI * k / 8));
	assertRates(t, rates(new LearningRateSchedule({kind: 'cosine', warmupEpochs: 1}, 0.1, 3, 4), 3, 4), [
		[0.025, 0.05, 0.075, 0.1],
		[0.1, cosine(1), cosine(2), cosine(3)],
		[0.05, cosine(5), cosine(6), cosine(7)],
	]);
	t.is(cosine(4), 0.05);
});

test('cosine without warm-up starts at the rate; a fractional warm-up rounds to whole steps', t => {
	const none = rates(new LearningRateSchedule({kind: 'cosine', warmupEpochs: 0}, 1, 2, 2), 2, 2);
	assertRates(t, none, [[1, 0.5 * (1 + Math.cos(Math.PI / 4))], [0.5, 0.5 * (1 + Math.cos(3 * Math.PI / 4))]]);
	// 0.5 epochs of 3 steps = 1.5, rounds to 2 warm-up steps; then 4 steps of cosine, t = k / 4.
	const c = (k: number) => 0.5 * (1 + Math.cos(Math.PI * k / 4));
	const half = rates(new LearningRateSchedule({kind: 'cosine', warmupEpochs: 0.5}, 1, 2, 3), 2, 3);
	assertRates(t, half, [[0.5, 1, c(0)], [c(1), c(2), c(3)]]);
});

test('step: gamma every stepEpochs epochs, constant within an epoch', t => {
	const actual = rates(new LearningRateSchedule({kind: 'step', stepEpochs: 2, gamma: 0.5}, 0.08, 5, 3), 5, 3);
	assertRates(t, actual, [0.08, 0.08, 0.04, 0.04, 0.02].map(rate => [rate, rate, rate]));
});

test('plateau: times factor after patience epochs without a relative improvement, never below minLr', t => {
	const schedule = new LearningRateSchedule({kind: 'plateau', patience: 2, factor: 0.5, minLr: 0.02}, 0.1, 10, 1);
	// Epoch 2 improves; 3 and 4 do not (4 improves by less than 1e-4 relative), so epoch 5 trains at 0.05;
	// 5 and 6 do not (NaN never improves): epoch 7 at 0.025; 7 improves, 8 and 9 not: epoch 10 at max(0.0125, 0.02).
	const losses = [1, 0.5, 0.6, 0.5 * (1 - 5e-5), 0.5, Number.NaN, 0.4, 0.41, 0.4, 0.3];
	assertRates(t, rates(schedule, 10, 1, losses), [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02].map(rate => [rate]));
});

test('a plateau schedule restored from its state mid-way continues as the uninterrupted one', t => {
	const spec = {kind: 'plateau' as const, patience: 2, factor: 0.5, minLr: 0};
	const losses = [1, 0.9, 0.95, 0.97, 0.96, 0.8, 0.85, 0.86, 0.87, 0.88];
	const whole = rates(new LearningRateSchedule(spec, 0.1, 10, 1), 10, 1, losses);
	const first = new LearningRateSchedule(spec, 0.1, 10, 1);
	const head = rates(first, 4, 1, losses.slice(0, 4));
	const resumed = new LearningRateSchedule(spec, 0.1, 10, 1);
	resumed.restore(structuredClone(first.state()));
	const tail = Array.from({length: 6}, (_, e) => {
		const rate = resumed.rateAt(e + 5, 0);
		resumed.endEpoch(losses[e + 4]);
		return [rate];
	});
	t.deepEqual([...head, ...tail], whole);
	// The run did reduce its rate (twice), so the state carried something.
	t.deepEqual(whole.map(([rate]) => rate), [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025]);
});
