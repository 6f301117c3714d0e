import {createHash} from 'node:crypto';
import {DatasetError} from '../errors.js';

export function sha256Hex(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Throws DatasetError when the SHA-256 of `raw` (decompressed IDX content: gzip bytes differ between
 * mirrors, e.g. Debian recompresses) is not `expected`. `what` names the file or URL in the message.
 */
export function verifySha256(raw: Uint8Array, expected: string, what: string, remedy: string): void {
	const actual = sha256Hex(raw);
	if (actual !== expected.toLowerCase()) {
		throw new DatasetError(
			`${what}: checksum mismatch: expected sha256 ${expected.slice(0, 12)}..., got ${actual.slice(0, 12)}...; ${remedy}`,
		);
	}
}
