/** Decodes a dataset once per process into shared memory, and splits it into views for training. */
import {readFile} from 'node:fs/promises';
import {DatasetError} from '../errors.js';
import type {DatasetName, DatasetSpec} from '../types.js';
import {verifySha256} from './checksum.js';
import {downloadDataset, type DownloadOptions} from './download.js';
import {gunzipIfNeededAsync, parseIdx, type IdxArray} from './idx.js';
import {locateDataset, searchDirs, userCacheDir, type LocateOptions} from './locate.js';
import {FILE_ROLES, getDatasetEntry, type DatasetEntry, type FileRole} from './registry.js';

export interface ImageSet {
	/** n * pixelsPerImage pixels in [0, 1], row-major, channels last. */
	x: Float32Array;
	/**
	 * Where x was decoded from bytes, those bytes (x = bytes / 255, as float32), in shared memory too: a quarter of x's
	 * size, so a trainer that keeps its own copy gathers batches from it with a quarter of the memory traffic
	 * (paths/simd.ts). Absent from a set made otherwise (a standardised copy, a test's own data).
	 */
	bytes?: Uint8Array;
	y: Uint8Array;
	n: number;
}

export interface Dataset {
	name: DatasetName;
	imageShape: [number, number, number];
	numClasses: number;
	classNames: string[];
	train: ImageSet;
	test: ImageSet;
	/** The directory the files were read from. */
	dir: string;
}

export interface LoadOptions extends LocateOptions, DownloadOptions {
	/** Download into the user cache dir when no directory has the files. Default true. */
	download?: boolean;
	/** Check the SHA-256 of each file's decompressed content. Default true. */
	verify?: boolean;
	/** Replaces the registry entry of `name` (tests use tiny hand-made datasets). */
	entry?: DatasetEntry;
}

let loaded = new WeakMap<DatasetEntry, Map<string, Promise<Dataset>>>();

function notFound(entry: DatasetEntry, options: LoadOptions, problem: string): DatasetError {
	const dirs = searchDirs(entry, options)
		.map(({dir}) => dir)
		.join(', ');
	return new DatasetError(
		`${entry.name} not found in ${dirs} and ${problem}; install it with 'apt-get install dataset-fashion-mnist', or pass --data-dir DIR containing the four IDX files`,
	);
}

/**
 * Loads a dataset: finds its files (see locateDataset), downloads them if allowed and nowhere to be
 * found, verifies and decodes them. Pixels land in Float32Arrays and labels in Uint8Arrays backed by
 * SharedArrayBuffer, so worker threads can share them without a copy. A second call for the same
 * dataset and directory returns the same object.
 * Throws DatasetError when the dataset is missing (and cannot be downloaded), a file is corrupt
 * (gzip, IDX structure, checksum), image and label counts disagree or differ from the registry, the
 * image size is wrong, or a label is out of range.
 */
export async function loadDataset(name: DatasetName, options: LoadOptions = {}): Promise<Dataset> {
	const entry = options.entry ?? getDatasetEntry(name);
	let located = locateDataset(entry, options);
	if (located === undefined) {
		if (entry.location === 'bundled') {
			const [{dir}] = searchDirs(entry, options);
			throw new DatasetError(
				`${entry.name} not found in ${dir}: the bundled subset is missing; restore data/${entry.name}/ from the repository or rebuild it with 'node dist/scripts/make-mini.js'`,
			);
		}
		if (options.download === false) throw notFound(entry, options, 'downloading is turned off');
		const cacheDir = options.cacheDir ?? userCacheDir(entry.name, options.env ?? process.env, options.homeDir);
		try {
			await downloadDataset(entry, cacheDir, options);
		} catch (error) {
			const reason = error instanceof Error ? error.message : String(error);
			throw notFound(entry, options, `download failed (${reason})`);
		}
		located = locateDataset(entry, {...options, dataDir: cacheDir});
		if (located === undefined) throw notFound(entry, options, `the download to ${cacheDir} left no complete set`);
	}
	let byDir = loaded.get(entry);
	if (byDir === undefined) loaded.set(entry, (byDir = new Map()));
	let dataset = byDir.get(located.dir);
	if (dataset === undefined) {
		const {dir, files} = located;
		dataset = decodeDataset(entry, dir, files, options.verify ?? true);
		byDir.set(dir, dataset);
		// A failed load must not stick: the user fixes the file and calls again in the same process.
		dataset.catch(() => byDir.delete(dir));
	}
	return dataset;
}

async function readIdx(entry: DatasetEntry, role: FileRole, path: string, verify: boolean): Promise<IdxArray> {
	let bytes: Uint8Array;
	try {
		bytes = await readFile(path);
	} catch (error) {
		throw new DatasetError(`${path}: cannot read: ${(error as Error).message}`, {cause: error});
	}
	const raw = await gunzipIfNeededAsync(bytes, path);
	if (verify) {
		verifySha256(
			raw,
			entry.files[role].sha256,
			path,
			`the file is corrupt or not the ${entry.name} file: delete it and fetch it again`,
		);
	}
	return parseIdx(raw, path);
}

function decodeImages(entry: DatasetEntry, images: IdxArray, file: string): {x: Float32Array; bytes: Uint8Array} {
	const [height, width, channels] = entry.imageShape;
	if (images.dims.length !== 3) {
		throw new DatasetError(`${file}: expected a 3-dimensional IDX file of images, got ${images.dims.length} dimension(s)`);
	}
	if (channels !== 1 || images.dims[1] !== height || images.dims[2] !== width) {
		throw new DatasetError(
			`${file}: expected ${height}x${width} images for ${entry.name}, got ${images.dims[1]}x${images.dims[2]}`,
		);
	}
	const x = new Float32Array(new SharedArrayBuffer(images.data.length * Float32Array.BYTES_PER_ELEMENT));
	// A 256-entry table makes the scaling a lookup, and keeps the values identical to byte / 255.
	const scale = new Float32Array(256);
	for (let i = 0; i < 256; i++) scale[i] = i / 255;
	const data = images.data;
	for (let i = 0; i < data.length; i++) x[i] = scale[data[i]];
	const bytes = new Uint8Array(new SharedArrayBuffer(data.length));
	bytes.set(data);
	return {x, bytes};
}

function decodeLabels(entry: DatasetEntry, labels: IdxArray, file: string): Uint8Array {
	if (labels.dims.length !== 1) {
		throw new DatasetError(`${file}: expected a 1-dimensional IDX file of labels, got ${labels.dims.length} dimensions`);
	}
	const data = labels.data;
	for (let i = 0; i < data.length; i++) {
		if (data[i] >= entry.numClasses) {
			throw new DatasetError(
				`${file}: label ${data[i]} at index ${i} is out of range 0..${entry.numClasses - 1} for ${entry.name}`,
			);
		}
	}
	const y = new Uint8Array(new SharedArrayBuffer(data.length));
	y.set(data);
	return y;
}

function decodeSplit(
	entry: DatasetEntry,
	split: 'train' | 'test',
	images: IdxArray,
	labels: IdxArray,
	imagesFile: string,
	labelsFile: string,
): ImageSet {
	const {x, bytes} = decodeImages(entry, images, imagesFile);
	const y = decodeLabels(entry, labels, labelsFile);
	const n = images.dims[0];
	if (y.length !== n) {
		throw new DatasetError(`${labelsFile}: has ${y.length} labels but ${imagesFile} has ${n} images; they must agree`);
	}
	if (n !== entry.counts[split]) {
		throw new DatasetError(
			`${imagesFile}: expected ${entry.counts[split]} ${split} images for ${entry.name}, got ${n}; is this another dataset?`,
		);
	}
	return {x, bytes, y, n};
}

async function decodeDataset(
	entry: DatasetEntry,
	dir: string,
	files: Record<FileRole, string>,
	verify: boolean,
): Promise<Dataset> {
	// Decompression runs on the libuv pool, so the four files inflate in parallel.
	const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
		FILE_ROLES.map((role) => readIdx(entry, role, files[role], verify)),
	);
	return {
		name: entry.name,
		imageShape: [...entry.imageShape],
		numClasses: entry.numClasses,
		classNames: [...entry.classNames],
		train: decodeSplit(entry, 'train', trainImages, trainLabels, files.trainImages, files.trainLabels),
		test: decodeSplit(entry, 'test', testImages, testLabels, files.testImages, files.testLabels),
		dir,
	};
}

/** Forgets every loaded dataset (tests; a long-lived process that wants its memory back). */
export function clearDatasetCache(): void {
	loaded = new WeakMap();
}

export interface SplitData {
	train: ImageSet;
	validation: ImageSet;
	test: ImageSet;
}

function view(set: ImageSet, start: number, end: number, pixels: number): ImageSet {
	return {x: set.x.subarray(start * pixels, end * pixels), ...(set.bytes && {bytes: set.bytes.subarray(start * pixels, end * pixels)}), y: set.y.subarray(start, end), n: end - start};
}

function limit(set: ImageSet, value: number | undefined, key: string, name: string, pixels: number): ImageSet {
	if (value === undefined) return set;
	if (!Number.isInteger(value) || value < 1) {
		throw new DatasetError(`dataset.${key}: ${value} is not a positive integer`);
	}
	if (value > set.n) {
		throw new DatasetError(`dataset.${key}: ${value} exceeds the ${set.n} images ${name} has; use at most ${set.n}`);
	}
	return view(set, 0, value, pixels);
}

/**
 * Cuts train/validation/test views (no copies) out of a loaded dataset: train limited to the first
 * `trainLimit` images and test to the first `testLimit`; validation is the last round(n * fraction)
 * of the limited train set, or the limited test set when `validation` is 'test'. Throws DatasetError
 * when the spec names another dataset, a limit exceeds what is there, or a split would be empty.
 */
export function splitDataset(ds: Dataset, spec: DatasetSpec): SplitData {
	if (spec.name !== ds.name) {
		throw new DatasetError(`dataset.name: '${spec.name}' does not match the loaded dataset '${ds.name}'`);
	}
	const pixels = ds.imageShape[0] * ds.imageShape[1] * ds.imageShape[2];
	const train = limit(ds.train, spec.trainLimit, 'trainLimit', ds.name, pixels);
	const test = limit(ds.test, spec.testLimit, 'testLimit', ds.name, pixels);
	if (spec.validation === 'test') return {train, validation: test, test};
	const fraction = spec.validation;
	if (!(fraction > 0 && fraction < 1)) {
		throw new DatasetError(`dataset.validation: ${fraction} must be a fraction between 0 and 1 (exclusive) or 'test'`);
	}
	const held = Math.round(train.n * fraction);
	if (held < 1 || held > train.n - 1) {
		throw new DatasetError(
			`dataset.validation: ${fraction} of ${train.n} training images leaves ${held} for validation and ${train.n - held} for training; both need at least 1`,
		);
	}
	return {
		train: view(train, 0, train.n - held, pixels),
		validation: view(train, train.n - held, train.n, pixels),
		test,
	};
}
