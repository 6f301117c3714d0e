import test from 'ava';
import {at} from '../../../src/train/kernels/load.js';
import {arenaFor, fillRandom, naiveMaxpool} from './helpers.js';

// Channels: whole groups of 4 lanes, groups plus a remainder, fewer than 4; odd maps drop their last row and column.
for (const [batch, h, w, c] of [[2, 4, 6, 8], [1, 5, 7, 5], [3, 3, 4, 3], [2, 28, 28, 16], [1, 2, 2, 1]]) {
	test(`maxpool and its gradient equal naive loops: ${batch}x${h}x${w}x${c}, ties included`, t => {
		const inputs = batch * h * w * c;
		const outputs = batch * Math.floor(h / 2) * Math.floor(w / 2) * c;
		const arena = arenaFor([inputs, outputs, outputs, outputs, inputs]);
		const input = fillRandom(arena.allocate(inputs), inputs);
		// Three levels only, so most windows hold ties, and the first of the tied must win.
		for (let i = 0; i < inputs; i++) {
			input[i] = Math.round(input[i]);
		}

		const output = arena.allocate(outputs).fill(Number.NaN);
		const which = arena.allocateInt(outputs).fill(-1);
		arena.kernels.maxpool(at(input), at(output), at(which), batch, h, w, c);
		const expected = naiveMaxpool(input, batch, h, w, c);
		t.deepEqual([...output], expected.output);
		t.deepEqual([...which], expected.which);

		const dOutput = fillRandom(arena.allocate(outputs), 3);
		const dInput = arena.allocate(inputs).fill(Number.NaN);
		arena.kernels.maxpool_backward(at(dOutput), at(which), at(dInput), batch, h, w, c);
		const expectedDInput = new Array<number>(inputs).fill(0);
		for (const [i, index] of expected.which.entries()) {
			expectedDInput[index] += dOutput[i];
		}

		t.deepEqual([...dInput], expectedDInput);
	});
}
