import test from 'ava';
import {at} from '../../../src/train/kernels/load.js';
import {arenaFor} from './helpers.js';

test('peak_madd runs 12 chains of x = t + x s per lane and returns their sum, as a float32 loop does', t => {
	const s = [0.5, 0.75, 1.25, -0.5];
	const offsets = [0.25, -1, 0.125, 2];
	const iterations = 37;
	const arena = arenaFor([8]);
	const io = arena.allocate(8);
	io.set([...s, ...offsets]);
	arena.kernels.peak_madd(at(io), iterations);
	const f = Math.fround;
	const expected = s.map((scale, lane) => {
		let x = offsets[lane];
		for (let i = 0; i < iterations; i++) {
			x = f(offsets[lane] + f(x * scale));
		}

		// The kernel's sum of the 12 (equal) chains, in its order.
		const pair = f(x + x);
		const four = f(pair + pair);
		return f(f(four + four) + four);
	});
	t.deepEqual([...io.subarray(0, 4)], expected);
});
