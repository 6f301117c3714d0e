import test from 'ava';
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {DEBIAN_DIR, debianDatasetDirs, locateDataset, searchDirs, userCacheDir} from '../../src/data/locate.js';
import {DATASET_REGISTRY} from '../../src/data/registry.js';
import {MINI_DIR, tempDir} from './helpers.js';

const full = DATASET_REGISTRY['fashion-mnist'];
const mini = DATASET_REGISTRY['fashion-mnist-mini'];
const NAMES = Object.values(full.files).map((file) => file.name);

/** Four empty files: locating only looks at names, not content. */
function fill(dir: string, names = NAMES): string {
	mkdirSync(dir, {recursive: true});
	for (const name of names) writeFileSync(join(dir, name), '');
	return dir;
}

test('user cache dir: SWEEPLAB_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', (t) => {
	t.is(userCacheDir('fashion-mnist', {SWEEPLAB_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x'}, '/home/u'), resolve('/c/fashion-mnist'));
	t.is(userCacheDir('fashion-mnist', {XDG_CACHE_HOME: '/x'}, '/home/u'), resolve('/x/sweeplab/fashion-mnist'));
	t.is(userCacheDir('fashion-mnist', {}, '/home/u'), resolve('/home/u/.cache/sweeplab/fashion-mnist'));
});

test('search order: data dir, then cache, then Debian', (t) => {
	const root = tempDir(t);
	const dataDir = fill(join(root, 'data'));
	const cacheDir = fill(join(root, 'cache'));
	const debian = fill(join(root, 'debian'));
	const options = {dataDir, cacheDir, debianDirs: [join(root, 'nowhere'), debian], env: {}};
	t.deepEqual(
		searchDirs(full, options).map(({source}) => source),
		['data-dir', 'cache', 'debian', 'debian'],
	);
	t.is(locateDataset(full, options)?.source, 'data-dir');
	t.is(locateDataset(full, options)?.dir, dataDir);
	rmSync(dataDir, {recursive: true});
	t.is(locateDataset(full, options)?.source, 'cache');
	rmSync(cacheDir, {recursive: true});
	const found = locateDataset(full, options);
	t.is(found?.dir, debian);
	t.is(found?.files.testLabels, join(debian, 't10k-labels-idx1-ubyte.gz'));
	rmSync(debian, {recursive: true});
	t.is(locateDataset(full, options), undefined);
});

test('SWEEPLAB_DATA_DIR stands in for a missing dataDir option', (t) => {
	const dir = fill(tempDir(t));
	const found = locateDataset(full, {env: {SWEEPLAB_DATA_DIR: dir}, cacheDir: tempDir(t), debianDirs: []});
	t.is(found?.source, 'data-dir');
	t.is(found?.dir, dir);
});

test('a directory with three of the four files does not have the dataset', (t) => {
	const partial = fill(tempDir(t), NAMES.slice(0, 3));
	const cacheDir = fill(tempDir(t));
	t.is(locateDataset(full, {dataDir: partial, cacheDir, debianDirs: []})?.dir, cacheDir);
});

test('uncompressed file names count too', (t) => {
	const dir = fill(tempDir(t), [...NAMES.slice(0, 2), ...NAMES.slice(2).map((name) => name.replace(/\.gz$/, ''))]);
	const found = locateDataset(full, {dataDir: dir, cacheDir: tempDir(t), debianDirs: []});
	t.is(found?.files.trainImages, join(dir, 'train-images-idx3-ubyte.gz'));
	t.is(found?.files.testImages, join(dir, 't10k-images-idx3-ubyte'));
});

test('the mini set is found in the repository and nowhere else', (t) => {
	const found = locateDataset(mini, {});
	t.is(found?.source, 'bundled');
	t.is(found?.dir, resolve(MINI_DIR));
	// A data dir full of IDX files is not a substitute for a missing bundled subset.
	const elsewhere = fill(tempDir(t));
	t.is(locateDataset(mini, {bundledDir: tempDir(t), dataDir: elsewhere, cacheDir: elsewhere, debianDirs: [elsewhere]}), undefined);
});

test('the full set never falls back to the bundled subset', (t) => {
	const empty = tempDir(t);
	t.is(locateDataset(full, {dataDir: empty, cacheDir: empty, debianDirs: [], bundledDir: MINI_DIR}), undefined);
	t.false(searchDirs(full, {cacheDir: empty, debianDirs: []}).some(({dir}) => dir === resolve(MINI_DIR)));
});

test('the Debian directory is among the Debian candidates', (t) => {
	t.true(debianDatasetDirs().includes(DEBIAN_DIR));
});
