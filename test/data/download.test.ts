import test from 'ava';
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';
import {DatasetError} from '../../src/errors.js';
import {downloadDataset} from '../../src/data/download.js';
import {loadDataset} from '../../src/data/load.js';
import {DATASET_REGISTRY, type DatasetEntry} from '../../src/data/registry.js';
import {closedPort, MINI_DIR, serve, sink, tempDir} from './helpers.js';

/** The mini set, pretending to be a dataset that is searched for and downloaded. */
function downloadable(baseUrl?: string): DatasetEntry {
	return {...DATASET_REGISTRY['fashion-mnist-mini'], location: 'search', baseUrl};
}

/** Serves data/fashion-mnist-mini/ under /files/, passing each body through `alter`. */
async function miniServer(t: import('ava').ExecutionContext, alter = (_name: string, body: Buffer) => body): Promise<{url: string; requests: string[]}> {
	const requests: string[] = [];
	const url = await serve(t, (request, response) => {
		requests.push(request.url ?? '');
		const name = (request.url ?? '').replace(/^\/files\//, '');
		const path = join(MINI_DIR, name);
		if (!request.url?.startsWith('/files/') || !existsSync(path)) {
			response.writeHead(404).end('not found');
			return;
		}
		const body = alter(name, readFileSync(path));
		response.writeHead(200, {'content-type': 'application/gzip', 'content-length': body.length}).end(body);
	});
	return {url: `${url}/files`, requests};
}

test('downloads the files into the cache dir, verified, then loads from there', async (t) => {
	const {url, requests} = await miniServer(t);
	const cacheDir = join(tempDir(t), 'cache', 'fashion-mnist-mini');
	const progress = sink();
	const entry = downloadable(url);
	const ds = await loadDataset('fashion-mnist-mini', {entry, cacheDir, debianDirs: [], env: {}, progress});
	t.is(ds.dir, cacheDir);
	t.is(ds.train.n, 5000);
	t.is(ds.test.n, 1000);
	t.deepEqual(readdirSync(cacheDir).sort(), Object.values(entry.files).map((file) => file.name).sort());
	t.is(requests.length, 4);
	// Not a TTY: one line per file, no carriage returns.
	const lines = progress.text().trimEnd().split('\n');
	t.is(lines.length, 4);
	t.regex(lines[0], /^downloading http:\/\/127\.0\.0\.1:\d+\/files\/train-images-idx3-ubyte\.gz \(2\.2 MB\)$/);
	t.false(progress.text().includes('\r'));
	// Found in the cache now: a second process-level load does not download again.
	await loadDataset('fashion-mnist-mini', {entry: downloadable(url), cacheDir, debianDirs: [], env: {}, progress});
	t.is(requests.length, 4);
});

test('SWEEPLAB_DATASET_URL overrides the registry URL, and a TTY gets a progress bar', async (t) => {
	const {url, requests} = await miniServer(t);
	const dir = tempDir(t);
	const progress = sink(true);
	await downloadDataset(downloadable('http://127.0.0.1:1/never'), dir, {env: {SWEEPLAB_DATASET_URL: url}, progress});
	t.is(requests.length, 4);
	t.regex(progress.text(), /\rtrain-labels-idx1-ubyte\.gz \[#{30}\] 100% /);
	t.true(existsSync(join(dir, 't10k-images-idx3-ubyte.gz')));
});

test('only missing files are downloaded', async (t) => {
	const {url, requests} = await miniServer(t);
	const dir = tempDir(t);
	await downloadDataset(downloadable(url), dir, {progress: null});
	t.is(requests.length, 4);
	requests.length = 0;
	rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
	await downloadDataset(downloadable(url), dir, {progress: null});
	t.deepEqual(requests, ['/files/t10k-labels-idx1-ubyte.gz']);
});

test('a server with different content: checksum mismatch, nothing kept', async (t) => {
	const {url} = await miniServer(t, (name, body) => {
		if (name !== 't10k-images-idx3-ubyte.gz') return body;
		const raw = gunzipSync(body);
		raw[100] ^= 0xff;
		return gzipSync(raw);
	});
	const dir = tempDir(t);
	const error = await t.throwsAsync(downloadDataset(downloadable(url), dir, {progress: null}), {instanceOf: DatasetError});
	t.regex(error.message, /^http:\/\/127\.0\.0\.1:\d+\/files\/t10k-images-idx3-ubyte\.gz: checksum mismatch: expected sha256 [0-9a-f]{12}\.\.\., got [0-9a-f]{12}/);
	// The two train files were good; the bad one and its temp file are gone.
	t.deepEqual(readdirSync(dir).sort(), ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
});

test('through loadDataset, a bad download becomes the one-line not-found message', async (t) => {
	const {url} = await miniServer(t, (name, body) => (name.startsWith('t10k-labels') ? gzipSync(Buffer.from('garbage')) : body));
	const dir = tempDir(t);
	const error = await t.throwsAsync(
		loadDataset('fashion-mnist-mini', {entry: downloadable(url), cacheDir: dir, debianDirs: [], env: {}, progress: null}),
		{instanceOf: DatasetError},
	);
	t.regex(error.message, /^fashion-mnist-mini not found in .* and download failed \(.*t10k-labels-idx1-ubyte\.gz: checksum mismatch.*\); install it with/);
});

test('an HTTP error names the URL and status', async (t) => {
	const {url} = await miniServer(t);
	const error = await t.throwsAsync(downloadDataset(downloadable(`${url}/missing`), tempDir(t), {progress: null}), {
		instanceOf: DatasetError,
	});
	t.regex(error.message, /\/files\/missing\/train-images-idx3-ubyte\.gz: HTTP 404 Not Found$/);
});

test('an unreachable URL gives one line saying how to get the data', async (t) => {
	const port = await closedPort();
	const root = tempDir(t);
	const cacheDir = join(root, 'cache');
	const debian = join(root, 'debian');
	const error = await t.throwsAsync(
		loadDataset('fashion-mnist', {
			cacheDir,
			debianDirs: [debian],
			env: {},
			baseUrl: `http://127.0.0.1:${port}`,
			progress: null,
		}),
		{instanceOf: DatasetError},
	);
	t.false(error.message.includes('\n'));
	t.true(
		error.message.startsWith(`fashion-mnist not found in ${cacheDir}, ${debian} and download failed (http://127.0.0.1:${port}/train-images-idx3-ubyte.gz: fetch failed: `),
		error.message,
	);
	t.regex(error.message, /ECONNREFUSED/);
	t.regex(error.message, /\); install it with 'apt-get install dataset-fashion-mnist', or pass --data-dir DIR containing the four IDX files$/);
	t.false(existsSync(join(cacheDir, 'train-images-idx3-ubyte.gz')));
});
