import test from 'ava';
import {DatasetError} from '../../src/errors.js';
import {splitDataset, type Dataset, type ImageSet} from '../../src/data/load.js';
import type {DatasetSpec} from '../../src/types.js';

const PIXELS = 4;

/** Image k has every pixel k and label k % 3, so a view's contents say which images it holds. */
function set(n: number, offset: number): ImageSet {
	const x = new Float32Array(new SharedArrayBuffer(n * PIXELS * 4));
	const y = new Uint8Array(new SharedArrayBuffer(n));
	for (let k = 0; k < n; k++) {
		x.fill(offset + k, k * PIXELS, (k + 1) * PIXELS);
		y[k] = (offset + k) % 3;
	}
	return {x, y, n};
}

function dataset(): Dataset {
	return {
		name: 'fashion-mnist-mini',
		imageShape: [2, 2, 1],
		numClasses: 3,
		classNames: ['a', 'b', 'c'],
		train: set(20, 0),
		test: set(10, 100),
		dir: '/nowhere',
	};
}

const ids = (s: ImageSet) => Array.from({length: s.n}, (_, k) => s.x[k * PIXELS]);
const range = (from: number, to: number) => Array.from({length: to - from}, (_, i) => from + i);
const spec = (rest: Partial<DatasetSpec>): DatasetSpec => ({name: 'fashion-mnist-mini', validation: 0.1, ...rest});

test('validation is the last round(n * fraction) of the limited train set', (t) => {
	const split = splitDataset(dataset(), spec({trainLimit: 15, validation: 0.2}));
	t.deepEqual(ids(split.train), range(0, 12));
	t.deepEqual(ids(split.validation), range(12, 15));
	t.deepEqual(ids(split.test), range(100, 110));
	t.is(split.train.y.length, 12);
	t.deepEqual([...split.validation.y], [0, 1, 2]);
	t.is(split.train.x.length, 12 * PIXELS);
});

test('rounding: 0.25 of 10 holds out 3 (round half up), not 2', (t) => {
	const split = splitDataset(dataset(), spec({trainLimit: 10, validation: 0.25}));
	t.is(split.validation.n, 3);
	t.is(split.train.n, 7);
});

test('splits are views over the loaded buffers, not copies', (t) => {
	const ds = dataset();
	const split = splitDataset(ds, spec({validation: 0.5, testLimit: 4}));
	for (const [view, whole] of [
		[split.train, ds.train],
		[split.validation, ds.train],
		[split.test, ds.test],
	] as const) {
		t.is(view.x.buffer, whole.x.buffer);
		t.is(view.y.buffer, whole.y.buffer);
	}
	t.is(split.validation.x.byteOffset, 10 * PIXELS * 4);
	ds.train.x[10 * PIXELS] = -1;
	t.is(split.validation.x[0], -1);
});

test("validation 'test' validates on the limited test set and trains on the whole limited train set", (t) => {
	const split = splitDataset(dataset(), spec({trainLimit: 8, testLimit: 5, validation: 'test'}));
	t.deepEqual(ids(split.train), range(0, 8));
	t.deepEqual(ids(split.validation), range(100, 105));
	t.deepEqual(ids(split.test), range(100, 105));
});

test('no limits means everything', (t) => {
	const split = splitDataset(dataset(), spec({validation: 0.1}));
	t.is(split.train.n + split.validation.n, 20);
	t.is(split.test.n, 10);
});

function refuses(t: import('ava').ExecutionContext, s: DatasetSpec, pattern: RegExp): void {
	const error = t.throws(() => splitDataset(dataset(), s), {instanceOf: DatasetError});
	t.regex(error.message, pattern);
}

test('limits beyond the data are refused', (t) => {
	refuses(t, spec({trainLimit: 21}), /dataset\.trainLimit: 21 exceeds the 20 images .*at most 20/);
	refuses(t, spec({testLimit: 11}), /dataset\.testLimit: 11 exceeds the 10 images/);
	refuses(t, spec({trainLimit: 0}), /dataset\.trainLimit: 0 is not a positive integer/);
	refuses(t, spec({testLimit: 2.5}), /dataset\.testLimit: 2\.5/);
});

test('a split that leaves no image on either side is refused', (t) => {
	refuses(t, spec({trainLimit: 4, validation: 0.1}), /0\.1 of 4 training images leaves 0 for validation/);
	refuses(t, spec({trainLimit: 4, validation: 0.9}), /leaves 4 for validation and 0 for training/);
	refuses(t, spec({validation: 0}), /dataset\.validation: 0 must be a fraction/);
	refuses(t, spec({validation: 1}), /dataset\.validation: 1 must be a fraction/);
});

test('a spec for another dataset is refused', (t) => {
	refuses(t, {name: 'fashion-mnist', validation: 0.1}, /'fashion-mnist' does not match the loaded dataset 'fashion-mnist-mini'/);
});
