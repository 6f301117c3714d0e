import test from 'ava';
import {erfc} from '../../src/util/erfc.js';

// Python's math.erfc (the C library's) at the same points: /usr/bin/python3 -c "import math; print([math.erfc(x) for x in X])".
const REFERENCE: Array<[number, number]> = [
	[-3, 1.9999779095030015],
	[-1, 1.842700792949715],
	[-0.5, 1.5204998778130465],
	[0, 1],
	[0.1, 0.8875370839817152],
	[0.3, 0.6713732405408726],
	[0.9, 0.20309178757716786],
	[1.2, 0.08968602177036465],
	[2, 0.004677734981047265],
	[3, 2.2090496998585438e-5],
	[5, 1.5374597944280351e-12],
	[10, 2.088487583762545e-45],
	[27, 5.23705e-319],
];

test('erfc agrees with the C library to a few ulps across all branches, tails included', t => {
	for (const [x, expected] of REFERENCE) {
		const actual = erfc(x);
		t.true(Math.abs(actual - expected) <= 4 * Number.EPSILON * expected, `erfc(${x}) = ${actual}, expected ${expected}`);
	}
	t.is(erfc(30), 0);
	t.is(erfc(-30), 2);
	t.true(Number.isNaN(erfc(Number.NaN)));
});
