import {copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import {DEBIAN_DIR} from '../../src/data/locate.js';
import {fixture, query, runCli, tempDir} from './helpers.js';

const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const MINI = fixture('../../data/fashion-mnist-mini');

/** A sweep on the full dataset read from `dataDir`, whose files the test has damaged. */
function fullDataSweep(dir: string): string {
	const file = join(dir, 'full.yaml');
	writeFileSync(file, readFileSync(fixture('e2e/tiny.yaml'), 'utf8').replace('name: fashion-mnist-mini', 'name: fashion-mnist'));
	return file;
}

function oneLine(t: import('ava').ExecutionContext, stderr: string, pattern: RegExp): void {
	const lines = stderr.trim().split('\n');
	t.is(lines.length, 1, stderr);
	t.regex(lines[0], pattern);
	t.notRegex(stderr, /\n\s+at /, 'no stack trace without --verbose');
}

test('a truncated dataset file: one line naming the file, nothing stored', async t => {
	const dir = tempDir(t);
	const data = join(dir, 'data');
	mkdirSync(data);
	for (const name of FILES) {
		copyFileSync(join(existsSync(join(DEBIAN_DIR, name)) ? DEBIAN_DIR : MINI, name), join(data, name));
	}

	const labels = join(data, 'train-labels-idx1-ubyte.gz');
	writeFileSync(labels, readFileSync(labels).subarray(0, 2000));
	const db = join(dir, 'x.db');
	const result = await runCli(['run', fullDataSweep(dir), '--db', db, '--data-dir', data]);
	t.is(result.code, 1);
	oneLine(t, result.stderr, /^sweeplab: .*train-labels-idx1-ubyte\.gz.*(truncated|corrupt|gzip)/i);
	t.false(existsSync(db));
});

test('a dataset file whose content does not match its checksum is refused as corrupt', async t => {
	const dir = tempDir(t);
	const data = join(dir, 'data');
	mkdirSync(data);
	// The bundled subset's files are valid IDX but not the full dataset's bytes.
	for (const name of FILES) {
		copyFileSync(join(MINI, name), join(data, name));
	}

	const result = await runCli(['run', fullDataSweep(dir), '--db', join(dir, 'x.db'), '--data-dir', data]);
	t.is(result.code, 1);
	oneLine(t, result.stderr, /^sweeplab: .*(checksum|sha-?256|expected 60000|count)/i);
});

test('a database written by a newer sweeplab is refused with a one-line message, and --verbose adds the stack', async t => {
	const db = join(tempDir(t), 'future.db');
	const raw = new Database(db);
	raw.pragma('user_version = 99');
	raw.close();
	const result = await runCli(['status', '--db', db]);
	t.is(result.code, 1);
	oneLine(t, result.stderr, /^sweeplab: .*future\.db: database schema v99 is newer than this sweeplab supports/);
	const verbose = await runCli(['status', '--db', db, '--verbose']);
	t.regex(verbose.stderr, /\n\s+at /);
	t.is(query<{user_version: number}>(db, 'PRAGMA user_version')[0].user_version, 99);
});

test('a database locked by another writer: a clear message after the busy timeout, no stack trace', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'locked.db');
	t.is((await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db])).code, 0);
	const holder = new Database(db);
	holder.exec('BEGIN EXCLUSIVE');
	t.teardown(() => {
		holder.exec('ROLLBACK');
		holder.close();
	});
	const changed = join(dir, 'other.yaml');
	writeFileSync(changed, readFileSync(fixture('e2e/tiny.yaml'), 'utf8').replace('name: tiny', 'name: other'));
	const result = await runCli(['run', changed, '--db', db]);
	t.is(result.code, 1);
	oneLine(t, result.stderr, /^sweeplab: .*locked\.db.*(locked|busy)/i);
});

test('best and report on a sweep that does not exist name the sweeps that do', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'names.db');
	t.is((await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db])).code, 0);
	const result = await runCli(['best', 'tinny', '--db', db]);
	t.is(result.code, 2);
	oneLine(t, result.stderr, /^sweeplab: .*tinny.*tiny/);
});

const badNumbers: Array<[string[], RegExp]> = [
	[['run', fixture('e2e/tiny.yaml'), '--workers', 'abc'], /^sweeplab: --workers abc: expected a positive integer/],
	[['run', fixture('e2e/tiny.yaml'), '--workers', '0'], /^sweeplab: --workers 0: expected a positive integer/],
	[['run', fixture('e2e/tiny.yaml'), '--workers', '-3'], /^sweeplab: --workers -3: expected a positive integer/],
	[['run', fixture('e2e/tiny.yaml'), '--workers', '1.5'], /^sweeplab: --workers 1\.5: expected a positive integer/],
	[['run', fixture('e2e/tiny.yaml'), '--retries', '-1'], /^sweeplab: --retries -1: expected an integer >= 0/],
	[['plan', fixture('e2e/tiny.yaml'), '--workers', 'two'], /^sweeplab: --workers two: expected a positive integer/],
	[['worker', 'tiny', '--lease-seconds', '0'], /^sweeplab: --lease-seconds 0: expected a positive number/],
	[['worker', 'tiny', '--reconnect-seconds', 'soon'], /^sweeplab: --reconnect-seconds soon: expected a positive number/],
	[['best', 'tiny', '--top', '0'], /^sweeplab: --top 0: expected a positive integer/],
	[['best', 'tiny', '--margin', 'x'], /^sweeplab: --margin x: expected a number >= 0/],
	[['best', 'tiny', '--budget', '-2'], /^sweeplab: --budget -2: expected a positive number/],
	[['report', 'tiny', '--margin', '-1'], /^sweeplab: --margin -1: expected a number >= 0/],
	[['export', 'tiny', '--weights', '-1', '--out', 'x'], /^sweeplab: --weights -1: expected an integer >= 0/],
];

for (const [args, pattern] of badNumbers) {
	test(`a bad number is a usage error (exit 2) before anything runs: sweeplab ${args.filter(arg => !arg.includes('/')).join(' ')}`, async t => {
		const db = join(tempDir(t), 'never.db');
		const result = await runCli([...args, '--db', db]);
		t.is(result.code, 2, result.stderr);
		oneLine(t, result.stderr, pattern);
		t.false(existsSync(db), 'no database was created');
	});
}

test('--db naming a PostgreSQL server that is not there fails on the first connection, saying so, password masked', async t => {
	// Refused, not 'unreachable for 300 s, giving up': the first connection is not retried.
	const result = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', 'postgres://u:s3cret@127.0.0.1:1/x']);
	t.is(result.code, 1, result.stderr);
	oneLine(t, result.stderr, /^sweeplab: postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: connection refused by 127\.0\.0\.1:1/);
	t.false(result.stderr.includes('s3cret'));
});
