/** Fetches a dataset's files into a directory, keeping only files whose decompressed content checks out. */
import {mkdir, rename, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {DatasetError} from '../errors.js';
import {verifySha256} from './checksum.js';
import {gunzipIfNeeded, isGzip} from './idx.js';
import {findFile} from './locate.js';
import {FILE_ROLES, fileUrl, type DatasetEntry, type FileRole} from './registry.js';

export interface DownloadOptions {
	/** Replaces the entry's base URL; SWEEPLAB_DATASET_URL when absent. */
	baseUrl?: string;
	env?: NodeJS.ProcessEnv;
	/** Where progress goes: a bar when it is a TTY, one line per file otherwise; null for silence. Default stderr. */
	progress?: NodeJS.WritableStream | null;
	/** Abort a file when no bytes arrive for this long. Default 30 s. */
	stallTimeoutMs?: number;
}

type ProgressStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number};

/** The base URL in effect: option, then SWEEPLAB_DATASET_URL, then the registry's. */
export function resolveBaseUrl(entry: DatasetEntry, options: DownloadOptions = {}): string | undefined {
	const env = options.env ?? process.env;
	return options.baseUrl ?? (env.SWEEPLAB_DATASET_URL || undefined) ?? entry.baseUrl;
}

function megabytes(bytes: number): string {
	return (bytes / 1e6).toFixed(1);
}

class Progress {
	private last = 0;

	constructor(
		private readonly stream: ProgressStream | null,
		private readonly name: string,
		url: string,
		private readonly total: number | undefined,
	) {
		if (stream !== null && !stream.isTTY) {
			const size = total === undefined ? '' : ` (${megabytes(total)} MB)`;
			stream.write(`downloading ${url}${size}\n`);
		}
	}

	update(received: number, force = false): void {
		if (this.stream === null || !this.stream.isTTY) return;
		const now = Date.now();
		// Redrawing on every chunk floods slow terminals; ten times a second reads as smooth.
		if (!force && now - this.last < 100) return;
		this.last = now;
		const width = 30;
		let bar: string;
		if (this.total) {
			const fraction = Math.min(1, received / this.total);
			const filled = Math.round(fraction * width);
			bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${megabytes(received)}/${megabytes(this.total)} MB`;
		} else {
			bar = `${megabytes(received)} MB`;
		}
		this.stream.write(`\r${this.name} ${bar}\u001b[K`);
	}

	done(received: number): void {
		if (this.stream === null || !this.stream.isTTY) return;
		this.update(received, true);
		this.stream.write('\n');
	}
}

function describe(error: unknown): string {
	if (error instanceof DatasetError) return error.message;
	if (error instanceof Error) {
		// fetch reports every network failure as `TypeError: fetch failed`; the useful part is the cause.
		const cause = (error as {cause?: unknown}).cause;
		if (cause instanceof Error && cause.message) return `${error.message}: ${cause.message}`;
		return error.message;
	}
	return String(error);
}

async function fetchBytes(url: string, name: string, options: DownloadOptions): Promise<Uint8Array> {
	const controller = new AbortController();
	const stallMs = options.stallTimeoutMs ?? 30_000;
	let timer: NodeJS.Timeout | undefined;
	const arm = (): void => {
		clearTimeout(timer);
		timer = setTimeout(() => controller.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
		timer.unref();
	};
	arm();
	try {
		// Ask for the file as stored: fetch would silently gunzip a Content-Encoding: gzip reply anyway.
		const response = await fetch(url, {signal: controller.signal, headers: {'accept-encoding': 'identity'}});
		if (!response.ok || response.body === null) {
			throw new DatasetError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
		}
		const header = response.headers.get('content-length');
		const total = header === null ? undefined : Number(header);
		const stream = options.progress === undefined ? process.stderr : options.progress;
		const progress = new Progress(stream as ProgressStream | null, name, url, total);
		const chunks: Uint8Array[] = [];
		let received = 0;
		for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
			arm();
			chunks.push(chunk);
			received += chunk.length;
			progress.update(received);
		}
		progress.done(received);
		if (total !== undefined && received !== total) {
			throw new DatasetError(`${url}: connection closed after ${received} of ${total} bytes`);
		}
		return Buffer.concat(chunks);
	} catch (error) {
		if (error instanceof DatasetError) throw error;
		const reason = controller.signal.aborted ? describe(controller.signal.reason) : describe(error);
		throw new DatasetError(`${url}: ${reason}`, {cause: error});
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Downloads every file of `entry` missing from `destDir` and returns the paths of all four. Each file is
 * written under a temporary name and renamed only once the SHA-256 of its decompressed content matches
 * the registry, so an interrupted or corrupt download never looks like a dataset. Throws DatasetError
 * (message starting with the URL) on network errors, HTTP errors, bad gzip data or a checksum mismatch.
 */
export async function downloadDataset(
	entry: DatasetEntry,
	destDir: string,
	options: DownloadOptions = {},
): Promise<Record<FileRole, string>> {
	const baseUrl = resolveBaseUrl(entry, options);
	// Fail before creating the cache dir: nothing should appear on disk for a dataset we cannot fetch.
	fileUrl(entry, 'trainImages', baseUrl);
	await mkdir(destDir, {recursive: true});
	const paths: Partial<Record<FileRole, string>> = {};
	for (const role of FILE_ROLES) {
		const existing = findFile(entry, role, destDir);
		if (existing !== undefined) {
			paths[role] = existing;
			continue;
		}
		const file = entry.files[role];
		const url = fileUrl(entry, role, baseUrl);
		const bytes = await fetchBytes(url, file.name, options);
		verifySha256(
			gunzipIfNeeded(bytes, url),
			file.sha256,
			url,
			`the server sent different content than ${entry.name} expects; check the download URL`,
		);
		// A server (or proxy) that decompressed on the fly sent raw IDX: store it under the raw name.
		const target = join(destDir, isGzip(bytes) ? file.name : file.name.replace(/\.gz$/, ''));
		const temporary = `${target}.download-${process.pid}`;
		try {
			await writeFile(temporary, bytes);
			await rename(temporary, target);
		} finally {
			await rm(temporary, {force: true});
		}
		paths[role] = target;
	}
	return paths as Record<FileRole, string>;
}
