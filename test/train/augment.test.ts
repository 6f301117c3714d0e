import test from 'ava';
import {Augmenter} from '../../src/train/augment.js';
import {createRng} from '../../src/util/random.js';

/** A 5x4 two-channel image whose pixel (y, x, c) holds 1 + 100 y + 10 x + c, so every value says where it came from. */
function image(): Float32Array {
	const x = new Float32Array(5 * 4 * 2);
	for (let y = 0; y < 5; y++) {
		for (let col = 0; col < 4; col++) {
			for (let c = 0; c < 2; c++) {
				x[(((y * 4) + col) * 2) + c] = 1 + (100 * y) + (10 * col) + c;
			}
		}
	}

	return x;
}

/** Pixel (y, x, c) of a 5x4x2 image, or 0 outside. */
const at = (x: Float32Array, y: number, col: number, c: number): number => (y < 0 || y >= 5 || col < 0 || col >= 4 ? 0 : x[(((y * 4) + col) * 2) + c]);

/** The same three draws per image as Augmenter.apply, to know which shift and flip each image got. */
function draws(seed: number, images: number, translate: number): Array<{dy: number; dx: number; mirror: boolean}> {
	const rng = createRng(seed);
	return Array.from({length: images}, () => {
		const dy = rng.int(-translate, translate);
		const dx = rng.int(-translate, translate);
		return {dy, dx, mirror: rng.next() < 0.5};
	});
}

test('each image is shifted by its drawn offsets with zero fill, then mirrored when its coin says so', t => {
	const images = 40;
	const batch = new Float32Array(images * 40);
	for (let r = 0; r < images; r++) {
		batch.set(image(), r * 40);
	}

	new Augmenter({translate: 2, flip: true}, [5, 4, 2]).apply(batch, images, createRng(9));
	const source = image();
	const seen = {mirrored: 0, shifted: 0};
	for (const [r, {dy, dx, mirror}] of draws(9, images, 2).entries()) {
		seen.mirrored += mirror ? 1 : 0;
		seen.shifted += dy !== 0 || dx !== 0 ? 1 : 0;
		const out = batch.subarray(r * 40, (r + 1) * 40);
		for (let y = 0; y < 5; y++) {
			for (let col = 0; col < 4; col++) {
				for (let c = 0; c < 2; c++) {
					const fromCol = (mirror ? 3 - col : col) - dx;
					t.is(at(out, y, col, c), at(source, y - dy, fromCol, c), `image ${r} (dy ${dy}, dx ${dx}, mirror ${mirror}) pixel ${y},${col},${c}`);
				}
			}
		}
	}

	// The draws cover both kinds of change, so the checks above saw shifts and mirrors.
	t.true(seen.mirrored > 5 && seen.mirrored < 35 && seen.shifted > 20, JSON.stringify(seen));
});

test('without flip nothing is mirrored, and with translate 0 too nothing moves', t => {
	// Half of these seeds draw a mirror coin for their image; none may mirror it.
	const seeds = Array.from({length: 10}, (_, seed) => seed);
	t.true(seeds.some(seed => draws(seed, 1, 0)[0].mirror));
	for (const seed of seeds) {
		const x = image();
		new Augmenter({translate: 0, flip: false}, [5, 4, 2]).apply(x, 1, createRng(seed));
		t.deepEqual(x, image());
	}
});

test('augmentation is a function of the generator: the same seed augments the same way, another differently', t => {
	const run = (seed: number) => {
		const batch = new Float32Array(8 * 40);
		for (let r = 0; r < 8; r++) {
			batch.set(image(), r * 40);
		}

		new Augmenter({translate: 1, flip: true}, [5, 4, 2]).apply(batch, 8, createRng(seed));
		return batch;
	};

	t.deepEqual(run(3), run(3));
	t.notDeepEqual(run(3), run(4));
});
