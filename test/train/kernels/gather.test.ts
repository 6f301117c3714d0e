import test from 'ava';
import {at, KernelArena} from '../../../src/train/kernels/load.js';
import {runsHere, VARIANTS} from './helpers.js';

/** The dataset's own decoding of a byte (data/load.ts): byte / 255 in double, stored as float32. */
const decoded = (byte: number): number => Math.fround(byte / 255);

// 784 pixels (whole 16-byte groups), 20 (a group and a tail of 4), 3 (a tail only); reading ahead past the batch's rows or not.
for (const variant of VARIANTS) {
	for (const [images, pixels, count, known] of [[300, 784, 7, 11], [40, 20, 9, 9], [12, 3, 5, 6], [5, 784, 5, 5]]) {
		test(`gather_bytes (${variant}) gathers rows ${pixels} bytes wide as byte / 255, bit for bit: ${count} of ${images} rows, ${known} known`, t => {
			if (!runsHere(t, variant)) {
				return;
			}

			const arena = new KernelArena(KernelArena.floats([Math.ceil((images * pixels) / 4), known, count * pixels]), variant);
			const bytes = arena.allocateBytes(images * pixels);
			// Every byte value appears, at every position of a 16-byte group.
			for (let i = 0; i < bytes.length; i++) {
				bytes[i] = (i * 7) % 256;
			}

			const rows = arena.allocateInt(known);
			for (let i = 0; i < known; i++) {
				rows[i] = (i * 37 + 5) % images;
			}

			const out = arena.allocate(count * pixels).fill(Number.NaN);
			arena.kernels.gather_bytes(at(bytes), at(rows), count, known, pixels, at(out));
			const expected = Array.from({length: count * pixels}, (_, j) => decoded(bytes[(rows[Math.floor(j / pixels)] * pixels) + (j % pixels)]));
			t.deepEqual([...out], expected);
		});
	}

	test(`gather_bytes (${variant}) turns all 256 byte values into the dataset's floats`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const arena = new KernelArena(KernelArena.floats([64, 1, 256]), variant);
		const bytes = arena.allocateBytes(256);
		for (let i = 0; i < 256; i++) {
			bytes[i] = i;
		}

		const rows = arena.allocateInt(1);
		const out = arena.allocate(256);
		arena.kernels.gather_bytes(at(bytes), at(rows), 1, 1, 256, at(out));
		t.deepEqual([...out], Array.from({length: 256}, (_, i) => decoded(i)));
		// What a float multiply by 1/255 would give instead differs for about half of them: the test can tell.
		t.true(Array.from({length: 256}, (_, i) => Math.fround(i * Math.fround(1 / 255))).some((value, i) => value !== out[i]));
	});
}
