/**
 * Cuts data/fashion-mnist-mini/ out of the full Fashion-MNIST: the first 500 images of each class in
 * the train file and the first 100 of each class in the test file, in a seeded shuffled order.
 *
 *   node dist/scripts/make-mini.js [--data-dir DIR] [--out DIR] [--seed N]
 *
 * Prints the SHA-256 of each file's decompressed content for src/data/registry.ts.
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {parseArgs} from 'node:util';
import {gzipSync} from 'node:zlib';
import {sha256Hex} from '../src/data/checksum.js';
import {encodeIdx, parseIdx, type IdxArray} from '../src/data/idx.js';
import {locateDataset, packageRoot, searchDirs} from '../src/data/locate.js';
import {DATASET_REGISTRY, FILE_ROLES, type FileRole} from '../src/data/registry.js';

const PER_CLASS = {train: 500, test: 100};

/** mulberry32: a tiny seeded PRNG, enough to shuffle reproducibly (never Math.random). */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function shuffle<T>(items: T[], random: () => number): T[] {
	for (let i = items.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[items[i], items[j]] = [items[j], items[i]];
	}
	return items;
}

/**
 * Picks the first `perClass` indices of each class in file order, then orders them in rounds: each
 * round holds one image of every class in a shuffled class order, and each class's images are
 * shuffled too. So the order looks random, yet every prefix of 10k images (trainLimit) and every
 * suffix (the validation hold-out) is exactly class-balanced.
 */
function pick(labels: Uint8Array, numClasses: number, perClass: number, random: () => number, file: string): number[] {
	const byClass: number[][] = Array.from({length: numClasses}, () => []);
	for (let i = 0; i < labels.length; i++) {
		const bucket = byClass[labels[i]];
		if (bucket.length < perClass) bucket.push(i);
	}
	byClass.forEach((bucket, label) => {
		if (bucket.length < perClass) throw new Error(`${file}: class ${label} has only ${bucket.length} images; need ${perClass}`);
		shuffle(bucket, random);
	});
	const order: number[] = [];
	const classes = Array.from({length: numClasses}, (_, label) => label);
	for (let round = 0; round < perClass; round++) {
		for (const label of shuffle(classes, random)) order.push(byClass[label][round]);
	}
	return order;
}

function main(): void {
	const {values} = parseArgs({
		options: {'data-dir': {type: 'string'}, out: {type: 'string'}, seed: {type: 'string', default: '20170825'}},
	});
	const full = DATASET_REGISTRY['fashion-mnist'];
	const mini = DATASET_REGISTRY['fashion-mnist-mini'];
	const located = locateDataset(full, {dataDir: values['data-dir']});
	if (located === undefined) {
		const dirs = searchDirs(full, {dataDir: values['data-dir']}).map(({dir}) => dir);
		throw new Error(`fashion-mnist not found in ${dirs.join(', ')}; pass --data-dir DIR or install dataset-fashion-mnist`);
	}
	const outDir = values.out ?? join(packageRoot(), 'data', mini.name);
	mkdirSync(outDir, {recursive: true});
	const random = mulberry32(Number(values.seed));
	const read = (role: FileRole): IdxArray => parseIdx(readFileSync(located.files[role]), located.files[role]);
	const pixels = full.imageShape[0] * full.imageShape[1];
	const hashes: Partial<Record<FileRole, string>> = {};
	for (const split of ['train', 'test'] as const) {
		const imagesRole: FileRole = `${split}Images`;
		const labelsRole: FileRole = `${split}Labels`;
		const images = read(imagesRole);
		const labels = read(labelsRole);
		const order = pick(labels.data, full.numClasses, PER_CLASS[split], random, located.files[labelsRole]);
		const x = new Uint8Array(order.length * pixels);
		const y = new Uint8Array(order.length);
		order.forEach((source, target) => {
			x.set(images.data.subarray(source * pixels, (source + 1) * pixels), target * pixels);
			y[target] = labels.data[source];
		});
		const contents: Array<[FileRole, Uint8Array]> = [
			[imagesRole, encodeIdx([order.length, full.imageShape[0], full.imageShape[1]], x)],
			[labelsRole, encodeIdx([order.length], y)],
		];
		for (const [role, raw] of contents) {
			const path = join(outDir, mini.files[role].name);
			writeFileSync(path, gzipSync(raw, {level: 9}));
			hashes[role] = sha256Hex(raw);
		}
	}
	console.log(`wrote ${relative(process.cwd(), outDir) || '.'} from ${located.dir} (seed ${values.seed})`);
	for (const role of FILE_ROLES) console.log(`${role}: '${hashes[role]}',  // ${mini.files[role].name}`);
}

main();
