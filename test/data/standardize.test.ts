import test from 'ava';
import type {ImageSet} from '../../src/data/load.js';
import {fitStandardizer, STD_FLOOR, standardizedSet, standardizeRows} from '../../src/data/standardize.js';

/** Three images of four pixels; the last pixel is constant (its std is floored). */
const train: ImageSet = {x: Float32Array.from([0, 0.5, 1, 0.2, 0.2, 0.1, 0, 0.2, 0.4, 0.9, 0.5, 0.2]), y: Uint8Array.from([0, 1, 2]), n: 3};

function meanStd(values: number[]): [number, number] {
	const mean = values.reduce((a, b) => a + b, 0) / values.length;
	return [mean, Math.sqrt(values.reduce((a, b) => a + ((b - mean) ** 2), 0) / values.length)];
}

test('none fits nothing', t => {
	t.is(fitStandardizer('none', train), undefined);
});

test('per-pixel: each position by its own training mean and population std, a constant pixel by the floor', t => {
	const s = fitStandardizer('per-pixel', train)!;
	for (let j = 0; j < 4; j++) {
		const [mean, std] = meanStd([0, 1, 2].map(r => train.x[(r * 4) + j]));
		t.true(Math.abs(s.mean[j] - mean) < 1e-6, `mean ${j}`);
		t.true(Math.abs(s.invStd[j] - (1 / Math.max(std, STD_FLOOR))) < 1e-3, `1/std ${j}: ${s.invStd[j]}`);
	}

	t.true(Math.abs(s.invStd[3] - 255) < 1e-3);
	const x = train.x.slice();
	standardizeRows(s, x, 3, 4);
	// Standardised training pixels have mean 0 and std 1 (where the std was not floored).
	for (let j = 0; j < 3; j++) {
		const [mean, std] = meanStd([0, 1, 2].map(r => x[(r * 4) + j]));
		t.true(Math.abs(mean) < 1e-6 && Math.abs(std - 1) < 1e-5, `pixel ${j}: mean ${mean}, std ${std}`);
	}
});

test('global: one mean and std over every training pixel', t => {
	const s = fitStandardizer('global', train)!;
	const [mean, std] = meanStd([...train.x]);
	t.is(s.mean.length, 1);
	t.true(Math.abs(s.mean[0] - mean) < 1e-6 && Math.abs(s.invStd[0] - (1 / std)) < 1e-4);
});

test('a standardised copy uses the training statistics, and leaves the shared set untouched', t => {
	const s = fitStandardizer('per-pixel', train)!;
	const other: ImageSet = {x: Float32Array.from([1, 1, 1, 1]), y: Uint8Array.from([5]), n: 1};
	const copy = standardizedSet(s, other);
	t.deepEqual([...other.x], [1, 1, 1, 1]);
	t.is(copy.y, other.y);
	for (let j = 0; j < 4; j++) {
		t.true(Math.abs(copy.x[j] - ((1 - s.mean[j]) * s.invStd[j])) < 1e-5);
	}

	// Statistics of the other set itself would be mean 1, so its standardised values would all be 0.
	t.true(copy.x.some(value => Math.abs(value) > 0.5));
});
