import test from 'ava';
import {dominates, kneeIndex, paretoFront} from '../../src/report/pareto.js';
import {createRng} from '../../src/util/random.js';

const p = (accuracy: number, seconds: number) => ({accuracy, seconds});

test('the front keeps exactly the configs no other is both as accurate and as fast as', t => {
	const points = [p(0.9, 10), p(0.85, 5), p(0.8, 8), p(0.9, 12), p(0.95, 30)];
	t.deepEqual(paretoFront(points), [true, true, false, false, true]);
	t.true(dominates(p(0.9, 10), p(0.9, 12)));
	t.false(dominates(p(0.9, 10), p(0.9, 10)));
});

test('the front is the set of points no other dominates, on many points with tied times and accuracies', t => {
	const rng = createRng(7);
	// Coarse values so that times and accuracies tie often; a few NaN and infinite ones.
	const value = (scale: number) => {
		const roll = rng.next();
		return roll < 0.03 ? Number.NaN : roll < 0.05 ? Number.POSITIVE_INFINITY : Math.floor(rng.next() * 12) * scale;
	};

	for (let round = 0; round < 20; round++) {
		const points = Array.from({length: 5 + round * 10}, () => p(value(0.05), value(3)));
		const usable = (point: {accuracy: number; seconds: number}) => Number.isFinite(point.accuracy) && Number.isFinite(point.seconds);
		const bruteForce = points.map(point => usable(point) && !points.some(other => usable(other) && dominates(other, point)));
		t.deepEqual(paretoFront(points), bruteForce);
	}
});

test('duplicate points share the front', t => {
	t.deepEqual(paretoFront([p(0.9, 10), p(0.9, 10), p(0.8, 20)]), [true, true, false]);
});

test('NaN accuracies or times are never on the front and never dominate', t => {
	t.deepEqual(paretoFront([p(Number.NaN, 1), p(0.7, 10), p(0.8, Number.NaN), p(0.6, Number.POSITIVE_INFINITY)]), [false, true, false, false]);
});

test('a single config is the whole front and has no knee', t => {
	t.deepEqual(paretoFront([p(0.5, 3)]), [true]);
	t.is(kneeIndex([p(0.5, 3)]), undefined);
	t.deepEqual(paretoFront([]), []);
});

test('the knee is the front point farthest above the chord from fastest to most accurate', t => {
	// Scaled: accuracy 0, .8, .9, 1 against time 0, 1/9, 5/9, 1; the second rises farthest above y = x.
	const points = [p(0.9, 10), p(0.8, 1), p(0.89, 6), p(0.88, 2), p(0.85, 20)];
	t.is(kneeIndex(points), 3);
});

test('a front that does not bend, or has only two distinct points, has no knee', t => {
	t.is(kneeIndex([p(0.8, 1), p(0.85, 2), p(0.9, 3)]), undefined);
	t.is(kneeIndex([p(0.8, 1), p(0.9, 3), p(0.9, 3)]), undefined);
	t.is(kneeIndex([p(0.8, 1), p(0.89, 1.5), p(0.9, 3)]), 1);
});
