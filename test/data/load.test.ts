import test from 'ava';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';
import {DatasetError} from '../../src/errors.js';
import {loadDataset} from '../../src/data/load.js';
import {DATASET_REGISTRY, FASHION_MNIST_CLASSES} from '../../src/data/registry.js';
import {copyMini, tempDir, tinyContent, writeTiny} from './helpers.js';

const mini = DATASET_REGISTRY['fashion-mnist-mini'];

function counts(labels: Uint8Array, classes: number): number[] {
	const result = new Array<number>(classes).fill(0);
	for (const label of labels) result[label]++;
	return result;
}

test('loads the bundled mini set: sizes, shape, scaled pixels, shared memory, balance', async (t) => {
	const ds = await loadDataset('fashion-mnist-mini');
	t.is(ds.name, 'fashion-mnist-mini');
	t.deepEqual(ds.imageShape, [28, 28, 1]);
	t.is(ds.numClasses, 10);
	t.deepEqual(ds.classNames, [...FASHION_MNIST_CLASSES]);
	t.is(ds.train.n, 5000);
	t.is(ds.test.n, 1000);
	t.is(ds.train.x.length, 5000 * 784);
	t.is(ds.test.y.length, 1000);
	for (const set of [ds.train, ds.test]) {
		t.true(set.x.buffer instanceof SharedArrayBuffer);
		t.true(set.y.buffer instanceof SharedArrayBuffer);
		let min = Infinity;
		let max = -Infinity;
		for (const value of set.x) {
			min = Math.min(min, value);
			max = Math.max(max, value);
		}
		t.is(min, 0);
		t.is(max, 1);
	}
	t.deepEqual(counts(ds.train.y, 10), new Array(10).fill(500));
	t.deepEqual(counts(ds.test.y, 10), new Array(10).fill(100));
	// Classes are interleaved, not in blocks: the first 100 train images hold every class 10 times.
	t.deepEqual(counts(ds.train.y.subarray(0, 100), 10), new Array(10).fill(10));
});

test('pixels are the file bytes divided by 255', async (t) => {
	const dir = tempDir(t);
	const entry = writeTiny(dir);
	const ds = await loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []});
	const bytes = tinyContent().trainImages;
	t.deepEqual([...ds.train.x], [...bytes].map((b) => Math.fround(b / 255)));
	t.deepEqual([...ds.train.y], [0, 1, 2, 0, 1, 2]);
	t.deepEqual([...ds.test.y], [2, 1, 0]);
	t.is(ds.dir, dir);
});

test('a second load of the same dataset and dir returns the same object', async (t) => {
	const [a, b] = await Promise.all([loadDataset('fashion-mnist-mini'), loadDataset('fashion-mnist-mini')]);
	t.is(a, b);
	t.is(await loadDataset('fashion-mnist-mini'), a);
	const dir = tempDir(t);
	const entry = writeTiny(dir);
	const tiny = await loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []});
	t.not(tiny as unknown, a);
	t.is(await loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []}), tiny);
});

test('uncompressed IDX files load too', async (t) => {
	const dir = tempDir(t);
	const entry = writeTiny(dir, {}, false);
	const ds = await loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []});
	t.is(ds.train.n, 6);
});

test('a label out of range names the labels file', async (t) => {
	const dir = tempDir(t);
	const entry = writeTiny(dir, {testLabels: Uint8Array.from([2, 3, 0])});
	const error = await t.throwsAsync(loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []}), {instanceOf: DatasetError});
	t.regex(error.message, /t10k-labels-idx1-ubyte\.gz: label 3 at index 1 is out of range 0\.\.2/);
});

test('image and label counts must agree', async (t) => {
	const dir = tempDir(t);
	const entry = writeTiny(dir, {trainLabels: Uint8Array.from([0, 1, 2, 0, 1])});
	const error = await t.throwsAsync(loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []}), {instanceOf: DatasetError});
	t.regex(error.message, /train-labels-idx1-ubyte\.gz: has 5 labels but .*train-images-idx3-ubyte\.gz has 6 images/);
});

test('a count that differs from the registry is refused, so a subset never passes for the full set', async (t) => {
	const dir = copyMini(t);
	const full = DATASET_REGISTRY['fashion-mnist'];
	const error = await t.throwsAsync(
		loadDataset('fashion-mnist', {entry: full, dataDir: dir, cacheDir: dir, debianDirs: [], verify: false}),
		{instanceOf: DatasetError},
	);
	t.regex(error.message, /train-images-idx3-ubyte\.gz: expected 60000 train images for fashion-mnist, got 5000/);
});

test('wrong image size names the images file', async (t) => {
	const dir = tempDir(t);
	const entry = {...writeTiny(dir), imageShape: [3, 3, 1] as const};
	const error = await t.throwsAsync(loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []}), {instanceOf: DatasetError});
	t.regex(error.message, /train-images-idx3-ubyte\.gz: expected 3x3 images for fashion-mnist, got 2x2/);
});

test('a checksum mismatch names the file, both hash prefixes, and says to re-fetch', async (t) => {
	const dir = copyMini(t);
	const path = join(dir, 't10k-labels-idx1-ubyte.gz');
	const raw = gunzipSync(readFileSync(path));
	raw[8] = (raw[8] + 1) % 10; // still a valid label: only the checksum can tell
	writeFileSync(path, gzipSync(raw));
	const entry = {...mini};
	const error = await t.throwsAsync(loadDataset('fashion-mnist-mini', {entry, bundledDir: dir}), {instanceOf: DatasetError});
	t.true(error.message.startsWith(`${path}: checksum mismatch: expected sha256 ${mini.files.testLabels.sha256.slice(0, 12)}`), error.message);
	t.regex(error.message, /got [0-9a-f]{12}.*corrupt.*delete it and fetch it again/);
	t.false(error.message.includes('\n'));
	// verify: false trusts the file, and the failed load was not cached.
	const ds = await loadDataset('fashion-mnist-mini', {entry, bundledDir: dir, verify: false});
	t.is(ds.test.n, 1000);
});

test('a missing bundled subset says how to restore it', async (t) => {
	const error = await t.throwsAsync(loadDataset('fashion-mnist-mini', {bundledDir: tempDir(t)}), {instanceOf: DatasetError});
	t.regex(error.message, /fashion-mnist-mini not found in .*: the bundled subset is missing; .*make-mini/);
});

test('missing full set with downloads off lists the dirs searched and how to get the data', async (t) => {
	const dir = tempDir(t);
	const cacheDir = join(dir, 'cache');
	const error = await t.throwsAsync(
		loadDataset('fashion-mnist', {dataDir: dir, cacheDir, debianDirs: [join(dir, 'debian')], download: false}),
		{instanceOf: DatasetError},
	);
	t.is(
		error.message,
		`fashion-mnist not found in ${dir}, ${cacheDir}, ${join(dir, 'debian')} and downloading is turned off; install it with 'apt-get install dataset-fashion-mnist', or pass --data-dir DIR containing the four IDX files`,
	);
});

test('a corrupt gzip file is a DatasetError naming it', async (t) => {
	const dir = tempDir(t);
	const entry = writeTiny(dir);
	const path = join(dir, 'train-images-idx3-ubyte.gz');
	const gz = readFileSync(path);
	writeFileSync(path, gz.subarray(0, gz.length - 6));
	rmSync(join(dir, 'train-images-idx3-ubyte'), {force: true});
	const error = await t.throwsAsync(loadDataset('fashion-mnist', {entry, dataDir: dir, cacheDir: dir, debianDirs: []}), {instanceOf: DatasetError});
	t.true(error.message.startsWith(`${path}: corrupt or truncated gzip`), error.message);
});
