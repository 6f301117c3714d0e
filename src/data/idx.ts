/**
 * The IDX format of (Fashion-)MNIST: a 4-byte magic (0x00 0x00 type dimsCount), dimsCount big-endian
 * uint32 sizes, then the elements. Only unsigned bytes (type 0x08) occur in these datasets.
 */
import {gunzip, gunzipSync} from 'node:zlib';
import {promisify} from 'node:util';
import {DatasetError} from '../errors.js';

/** IDX element type code of unsigned bytes, the only type these datasets use. */
export const IDX_UBYTE = 0x08;

export interface IdxArray {
	dims: number[];
	/** Row-major elements; a view into the decompressed bytes, not a copy. */
	data: Uint8Array;
}

const gunzipAsync = promisify(gunzip);

export function isGzip(bytes: Uint8Array): boolean {
	return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gzipError(file: string, error: unknown): DatasetError {
	const reason = error instanceof Error ? error.message : String(error);
	return new DatasetError(`${file}: corrupt or truncated gzip data (${reason}); delete the file and fetch it again`, {
		cause: error,
	});
}

function asBytes(buffer: Buffer): Uint8Array {
	return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decompresses gzipped bytes; returns anything else unchanged. Throws DatasetError on bad gzip data. */
export function gunzipIfNeeded(bytes: Uint8Array, file: string): Uint8Array {
	if (!isGzip(bytes)) return bytes;
	try {
		return asBytes(gunzipSync(bytes));
	} catch (error) {
		throw gzipError(file, error);
	}
}

/** Like gunzipIfNeeded, but off the main thread (libuv pool), so several files decompress in parallel. */
export async function gunzipIfNeededAsync(bytes: Uint8Array, file: string): Promise<Uint8Array> {
	if (!isGzip(bytes)) return bytes;
	try {
		return asBytes(await gunzipAsync(bytes));
	} catch (error) {
		throw gzipError(file, error);
	}
}

function hex(value: number, width: number): string {
	return '0x' + value.toString(16).padStart(width, '0');
}

/**
 * Parses an IDX file of unsigned bytes with 1 (labels) or 3 (images) dimensions, gzipped or raw.
 * Throws DatasetError naming `file` for bad gzip data, a bad magic, another element type, another
 * number of dimensions, and a byte length that is not exactly header + product(dims).
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
	const raw = gunzipIfNeeded(bytes, file);
	if (raw.length < 4) {
		throw new DatasetError(`${file}: truncated: expected at least a 4-byte IDX header, got ${raw.length} bytes`);
	}
	const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
	const magic = view.getUint32(0);
	if (raw[0] !== 0 || raw[1] !== 0) {
		throw new DatasetError(
			`${file}: bad magic ${hex(magic, 8)}: not an IDX file (expected 0x00000801 for labels or 0x00000803 for images)`,
		);
	}
	const type = raw[2];
	if (type !== IDX_UBYTE) {
		throw new DatasetError(
			`${file}: unsupported IDX element type ${hex(type, 2)}: only ${hex(IDX_UBYTE, 2)} (unsigned byte) is supported`,
		);
	}
	const dimsCount = raw[3];
	if (dimsCount !== 1 && dimsCount !== 3) {
		throw new DatasetError(`${file}: IDX file has ${dimsCount} dimensions; expected 1 (labels) or 3 (images)`);
	}
	const headerLength = 4 + 4 * dimsCount;
	if (raw.length < headerLength) {
		throw new DatasetError(`${file}: truncated: expected a ${headerLength}-byte IDX header, got ${raw.length} bytes`);
	}
	const dims: number[] = [];
	let count = 1;
	for (let i = 0; i < dimsCount; i++) {
		const size = view.getUint32(4 + 4 * i);
		dims.push(size);
		count *= size;
	}
	const expected = headerLength + count;
	if (raw.length < expected) {
		throw new DatasetError(`${file}: truncated: expected ${expected} bytes, got ${raw.length}`);
	}
	if (raw.length > expected) {
		throw new DatasetError(
			`${file}: ${raw.length - expected} trailing bytes: expected ${expected} bytes for dims [${dims.join(', ')}], got ${raw.length}`,
		);
	}
	return {dims, data: raw.subarray(headerLength, expected)};
}

/** Serialises unsigned bytes as an (uncompressed) IDX file; the inverse of parseIdx. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
	const count = dims.reduce((a, b) => a * b, 1);
	if (count !== data.length) {
		throw new RangeError(`encodeIdx: dims [${dims.join(', ')}] need ${count} bytes, got ${data.length}`);
	}
	const headerLength = 4 + 4 * dims.length;
	const out = new Uint8Array(headerLength + count);
	const view = new DataView(out.buffer);
	out[2] = IDX_UBYTE;
	out[3] = dims.length;
	dims.forEach((size, i) => view.setUint32(4 + 4 * i, size));
	out.set(data, headerLength);
	return out;
}
