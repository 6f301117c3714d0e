import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type RequestListener} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import type {ExecutionContext} from 'ava';
import {sha256Hex} from '../../src/data/checksum.js';
import {encodeIdx} from '../../src/data/idx.js';
import {DATASET_REGISTRY, type DatasetEntry, type FileRole} from '../../src/data/registry.js';

export const MINI_DIR = fileURLToPath(new URL('../../../data/fashion-mnist-mini/', import.meta.url));

export function tempDir(t: ExecutionContext): string {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-data-'));
	t.teardown(() => rmSync(dir, {recursive: true, force: true}));
	return dir;
}

export function copyMini(t: ExecutionContext): string {
	const dir = tempDir(t);
	cpSync(MINI_DIR, dir, {recursive: true});
	return dir;
}

export interface TinyContent {
	trainImages?: Uint8Array;
	trainLabels?: Uint8Array;
	testImages?: Uint8Array;
	testLabels?: Uint8Array;
	/** Image count in the train images header (defaults to the label count). */
	trainCount?: number;
}

export const TINY_PIXELS = 4; // 2x2 images

/** Train: 6 images, labels 0,1,2,0,1,2; test: 3 images, labels 2,1,0. Pixel i of image k is 40k+i. */
export function tinyContent(): Required<Omit<TinyContent, 'trainCount'>> {
	const images = (n: number) => Uint8Array.from({length: n * TINY_PIXELS}, (_, i) => (Math.floor(i / TINY_PIXELS) * 40 + (i % TINY_PIXELS)) % 256);
	return {
		trainImages: images(6),
		trainLabels: Uint8Array.from([0, 1, 2, 0, 1, 2]),
		testImages: images(3),
		testLabels: Uint8Array.from([2, 1, 0]),
	};
}

/** Writes a tiny 2x2, 3-class dataset (gzipped, or raw IDX names) and returns an entry whose hashes match it. */
export function writeTiny(dir: string, content: TinyContent = {}, gzip = true): DatasetEntry {
	const c = {...tinyContent(), ...content};
	const raws: Record<FileRole, Uint8Array> = {
		trainImages: encodeIdx([c.trainCount ?? c.trainImages.length / TINY_PIXELS, 2, 2], c.trainImages),
		trainLabels: encodeIdx([c.trainLabels.length], c.trainLabels),
		testImages: encodeIdx([c.testImages.length / TINY_PIXELS, 2, 2], c.testImages),
		testLabels: encodeIdx([c.testLabels.length], c.testLabels),
	};
	const base = DATASET_REGISTRY['fashion-mnist'];
	const files = {} as Record<FileRole, {name: string; sha256: string}>;
	for (const role of Object.keys(raws) as FileRole[]) {
		const name = base.files[role].name;
		writeFileSync(join(dir, gzip ? name : name.replace(/\.gz$/, '')), gzip ? gzipSync(raws[role]) : raws[role]);
		files[role] = {name, sha256: sha256Hex(raws[role])};
	}
	return {
		name: 'fashion-mnist',
		files,
		counts: {train: 6, test: 3},
		imageShape: [2, 2, 1],
		numClasses: 3,
		classNames: ['a', 'b', 'c'],
		location: 'search',
	};
}

/** An http server on 127.0.0.1, closed at teardown; returns its base URL. */
export async function serve(t: ExecutionContext, handler: RequestListener): Promise<string> {
	const server = createServer(handler);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

/** Collects what is written, as a non-TTY (or TTY) stderr stand-in. */
export function sink(isTTY = false): NodeJS.WritableStream & {isTTY: boolean; text: () => string} {
	const chunks: string[] = [];
	return {
		isTTY,
		write(chunk: string | Uint8Array) {
			chunks.push(String(chunk));
			return true;
		},
		text: () => chunks.join(''),
	} as unknown as NodeJS.WritableStream & {isTTY: boolean; text: () => string};
}
