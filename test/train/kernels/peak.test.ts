import test from 'ava';
import {at} from '../../../src/train/kernels/load.js';
import {arenaFor, runsHere, VARIANTS} from './helpers.js';

/** a b + c with one rounding, for float32 a, b, c: the product is exact in double, and the sum is rounded to float32 once (TwoSum keeps what double rounding would lose). */
function fusedMultiplyAdd(a: number, b: number, c: number): number {
	const product = a * b;
	const sum = product + c;
	const virtual = sum - product;
	const error = (product - (sum - virtual)) + (c - virtual);
	const rounded = Math.fround(sum);
	// Only a sum that lands exactly halfway between two floats can round the wrong way; the error says which side the exact sum is on.
	const other = Math.fround(rounded + ((sum - rounded) * 2));
	if (error !== 0 && rounded !== sum && Math.abs(sum - rounded) === Math.abs(other - sum) && Math.sign(other - sum) === Math.sign(error)) {
		return other;
	}

	return rounded;
}

for (const variant of VARIANTS) {
	test(`${variant}: peak_madd runs 12 chains of x = t + x s per lane and returns their sum, as a float32 loop does`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		// Scales whose products need more than 24 bits, so a fused and an unfused step differ.
		const s = [0.5, 0.75 + (2 ** -20), 1.25 - (2 ** -21), -0.5 + (2 ** -19)];
		const offsets = [0.25, -1, 0.125 + (2 ** -22), 2];
		const iterations = 37;
		const arena = arenaFor([8], variant);
		const io = arena.allocate(8);
		io.set([...s, ...offsets]);
		arena.kernels.peak_madd(at(io), iterations);
		const f = Math.fround;
		const step = variant === 'fma' ? (x: number, scale: number, offset: number) => fusedMultiplyAdd(x, scale, offset) : (x: number, scale: number, offset: number) => f(offset + f(x * scale));
		const expected = s.map((scale, lane) => {
			const [scale32, offset] = [f(scale), f(offsets[lane])];
			let x = offset;
			for (let i = 0; i < iterations; i++) {
				x = step(x, scale32, offset);
			}

			// The kernel's sum of the 12 (equal) chains, in its order.
			const pair = f(x + x);
			const four = f(pair + pair);
			return f(f(four + four) + four);
		});
		t.deepEqual([...io.subarray(0, 4)], expected);
	});
}
