import test from 'ava';
import {exp} from '../../../src/train/math/exp.js';
import {createRng} from '../../../src/util/random.js';

/** |a - b| in units of b's last place. */
const ulps = (a: number, b: number): number => a === b ? 0 : Math.abs(a - b) / (Number.EPSILON * (2 ** Math.floor(Math.log2(Math.abs(b)))));

test('exp is within 2 units in the last place of Math.exp over the whole range, and exact at 0', t => {
	const rng = createRng(7);
	let worst = 0;
	for (let i = 0; i < 200_000; i++) {
		// Half of them where a softmax's are (x - max <= 0, mostly near 0), half over the whole finite range.
		const x = i % 2 === 0 ? -40 * rng.next() : (1420 * rng.next()) - 710;
		worst = Math.max(worst, ulps(exp(x), Math.exp(x)));
	}

	t.true(worst <= 2, `worst error ${worst} ulps`);
	t.is(exp(0), 1);
	t.is(exp(-0), 1);
	t.is(exp(1), Math.E);
});

test('exp hands NaN, the infinities, overflow and subnormal results to Math.exp', t => {
	for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 709.78, 710, 1e300, -708.5, -745, -746, -1e300]) {
		t.is(exp(x), Math.exp(x), String(x));
	}

	// Both ends of the fast range are normal numbers and close to Math.exp's.
	for (const x of [-708, 709]) {
		t.true(ulps(exp(x), Math.exp(x)) <= 2, String(x));
	}
});
