import test from 'ava';
import {gzipSync} from 'node:zlib';
import {DatasetError} from '../../src/errors.js';
import {encodeIdx, parseIdx} from '../../src/data/idx.js';

const FILE = 'train-images-idx3-ubyte.gz';
const images = () => encodeIdx([2, 3, 2], Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));

test('parses raw IDX images and labels', (t) => {
	const parsed = parseIdx(images(), FILE);
	t.deepEqual(parsed.dims, [2, 3, 2]);
	t.deepEqual([...parsed.data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
	const labels = parseIdx(encodeIdx([3], Uint8Array.from([9, 0, 4])), 'labels');
	t.deepEqual(labels.dims, [3]);
	t.deepEqual([...labels.data], [9, 0, 4]);
});

test('parses gzipped IDX the same as raw', (t) => {
	const parsed = parseIdx(gzipSync(images()), FILE);
	t.deepEqual(parsed.dims, [2, 3, 2]);
	t.deepEqual([...parsed.data], [...parseIdx(images(), FILE).data]);
});

test('the header is big-endian', (t) => {
	const bytes = encodeIdx([300], new Uint8Array(300));
	t.deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 1, 0, 0, 1, 44]);
});

function rejects(t: import('ava').ExecutionContext, bytes: Uint8Array, pattern: RegExp): void {
	const error = t.throws(() => parseIdx(bytes, FILE), {instanceOf: DatasetError});
	t.regex(error.message, pattern);
	t.true(error.message.startsWith(`${FILE}: `), error.message);
	t.false(error.message.includes('\n'));
}

test('rejects a bad magic', (t) => {
	const bytes = images();
	bytes[0] = 0x12;
	rejects(t, bytes, /bad magic 0x12000803/);
	rejects(t, new TextEncoder().encode('<html>not found</html>'), /bad magic/);
});

test('rejects element types other than unsigned byte', (t) => {
	const bytes = images();
	bytes[2] = 0x0d;
	rejects(t, bytes, /element type 0x0d.*0x08/);
});

test('rejects 2-dimensional files', (t) => {
	const bytes = encodeIdx([2, 3], new Uint8Array(6));
	rejects(t, bytes, /2 dimensions; expected 1 .* or 3/);
});

test('rejects truncated files with expected and actual length', (t) => {
	const bytes = images();
	rejects(t, bytes.subarray(0, bytes.length - 1), /truncated: expected 28 bytes, got 27/);
	rejects(t, bytes.subarray(0, 10), /truncated: expected a 16-byte IDX header, got 10 bytes/);
	rejects(t, bytes.subarray(0, 2), /truncated/);
	rejects(t, gzipSync(bytes.subarray(0, 20)), /truncated: expected 28 bytes, got 20/);
});

test('rejects trailing bytes', (t) => {
	const bytes = new Uint8Array(images().length + 3);
	bytes.set(images());
	rejects(t, bytes, /3 trailing bytes: expected 28 bytes .* got 31/);
});

test('rejects corrupt and truncated gzip data', (t) => {
	const gz = gzipSync(encodeIdx([1000], Uint8Array.from({length: 1000}, (_, i) => (i * 7) % 10)));
	rejects(t, gz.subarray(0, gz.length - 20), /corrupt or truncated gzip/);
	const flipped = Uint8Array.from(gz);
	for (let i = 20; i < 40; i++) flipped[i] ^= 0xff;
	rejects(t, flipped, /corrupt or truncated gzip/);
});
