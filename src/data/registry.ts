/** The datasets sweeplab knows: file names, sizes, classes and the checksums that identify them. */
import {DatasetError} from '../errors.js';
import {DATASETS, type DatasetName} from '../types.js';

export const FILE_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export interface DatasetFile {
	/** Official file name (gzipped); the uncompressed name without `.gz` is accepted too. */
	name: string;
	/** SHA-256 (hex) of the DECOMPRESSED content: mirrors recompress, so gzip bytes are not stable. */
	sha256: string;
}

export interface DatasetEntry {
	readonly name: DatasetName;
	readonly files: Readonly<Record<FileRole, DatasetFile>>;
	readonly counts: Readonly<{train: number; test: number}>;
	/** Height, width, channels. */
	readonly imageShape: readonly [number, number, number];
	readonly numClasses: number;
	readonly classNames: readonly string[];
	/**
	 * `search`: looked for in --data-dir, the user cache and the Debian package, else downloaded.
	 * `bundled`: ships in the repository under data/<name>/ and is looked for nowhere else, so a
	 * subset is never substituted for the full dataset or the other way round.
	 */
	readonly location: 'search' | 'bundled';
	/** Where `<baseUrl>/<file name>` downloads each file; absent when the dataset is not downloadable. */
	readonly baseUrl?: string;
}

export const FASHION_MNIST_CLASSES: readonly string[] = [
	'T-shirt/top',
	'Trouser',
	'Pullover',
	'Dress',
	'Coat',
	'Sandal',
	'Shirt',
	'Sneaker',
	'Bag',
	'Ankle boot',
];

export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';

const FILE_NAMES: Record<FileRole, string> = {
	trainImages: 'train-images-idx3-ubyte.gz',
	trainLabels: 'train-labels-idx1-ubyte.gz',
	testImages: 't10k-images-idx3-ubyte.gz',
	testLabels: 't10k-labels-idx1-ubyte.gz',
};

function files(sha256: Record<FileRole, string>): Record<FileRole, DatasetFile> {
	return {
		trainImages: {name: FILE_NAMES.trainImages, sha256: sha256.trainImages},
		trainLabels: {name: FILE_NAMES.trainLabels, sha256: sha256.trainLabels},
		testImages: {name: FILE_NAMES.testImages, sha256: sha256.testImages},
		testLabels: {name: FILE_NAMES.testLabels, sha256: sha256.testLabels},
	};
}

export const DATASET_REGISTRY: Readonly<Record<DatasetName, DatasetEntry>> = {
	'fashion-mnist': {
		name: 'fashion-mnist',
		files: files({
			trainImages: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
			trainLabels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
			testImages: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
			testLabels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
		}),
		counts: {train: 60000, test: 10000},
		imageShape: [28, 28, 1],
		numClasses: 10,
		classNames: FASHION_MNIST_CLASSES,
		location: 'search',
		baseUrl: FASHION_MNIST_URL,
	},
	// Cut by scripts/make-mini.ts; the hashes are what it prints.
	'fashion-mnist-mini': {
		name: 'fashion-mnist-mini',
		files: files({
			trainImages: 'd86ef70fa0b01bb893c6422006007a16e63d88ba50dc13747fa66a463c43568b',
			trainLabels: 'bda83fb3a99e1fbc2ced0c257518cac58a81528a0faa61acbe2fcc75f8d48fd1',
			testImages: '95703e3645dd6c9760a5b7895a83dd45ce718474f837a389d9c7f6e099a37165',
			testLabels: '5c460dd793a73557ef56231d66bb7ee970c1bacb935ccb885c4ac20e4b26ffc0',
		}),
		counts: {train: 5000, test: 1000},
		imageShape: [28, 28, 1],
		numClasses: 10,
		classNames: FASHION_MNIST_CLASSES,
		location: 'bundled',
	},
};

/** Throws DatasetError for a name that is not in the registry. */
export function getDatasetEntry(name: string): DatasetEntry {
	if (!(DATASETS as readonly string[]).includes(name)) {
		throw new DatasetError(`unknown dataset '${name}'; expected one of ${DATASETS.join(', ')}`);
	}
	return DATASET_REGISTRY[name as DatasetName];
}

/** Download URL of one file; `baseUrl` (no trailing slash needed) defaults to the entry's. */
export function fileUrl(entry: DatasetEntry, role: FileRole, baseUrl = entry.baseUrl): string {
	if (baseUrl === undefined) {
		throw new DatasetError(`${entry.name} has no download URL; set SWEEPLAB_DATASET_URL to a server holding its files`);
	}
	return `${baseUrl.replace(/\/+$/, '')}/${entry.files[role].name}`;
}

export function pixelsPerImage(entry: DatasetEntry): number {
	return entry.imageShape[0] * entry.imageShape[1] * entry.imageShape[2];
}
