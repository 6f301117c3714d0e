/**
 * `sweeplab serve` refusing bad input the way the other commands do: one line naming the problem, exit 1, and
 * stopping cleanly on SIGTERM.
 */
import {createServer} from 'node:net';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import {fixture, runCli, tempDir} from '../cli/helpers.js';
import {startServe} from './chromium.js';

function oneLine(t: import('ava').ExecutionContext, stderr: string, pattern: RegExp): void {
	t.regex(stderr, pattern);
	t.is(stderr.trim().split('\n').length, 1, stderr);
	t.notRegex(stderr, /^\s+at |\.js:\d+/m);
}

test('a missing database, another program\'s SQLite, a text file, a newer schema: one line each and exit 1', async t => {
	const dir = tempDir(t);
	const text = join(dir, 'notes.db');
	writeFileSync(text, 'not a database\n');
	const newer = join(dir, 'newer.db');
	const db = new Database(newer);
	db.pragma('user_version = 99');
	db.close();
	const foreign = join(dir, 'foreign.db');
	const other = new Database(foreign);
	other.exec('CREATE TABLE notes (body TEXT)');
	other.close();
	for (const [path, pattern] of [
		[join(dir, 'missing.db'), /missing\.db: no database there/],
		[foreign, /foreign\.db: not a sweeplab database/],
		[text, /notes\.db: not a SQLite database/],
		[newer, /newer\.db: database schema v99 is newer than this sweeplab supports/],
	] as const) {
		const result = await runCli(['serve', '--db', path, '--port', '0']);
		t.is(result.code, 1, path);
		oneLine(t, result.stderr, pattern);
	}
});

test('a port in use: one line naming it, exit 1', async t => {
	const blocker = createServer();
	await new Promise<void>(resolve => {
		blocker.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(() => {
		blocker.close();
	});
	const {port} = blocker.address() as {port: number};
	const dir = tempDir(t);
	const db = join(dir, 'sweeps.db');
	t.is((await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '1'])).code, 0);
	const result = await runCli(['serve', '--db', db, '--port', String(port)]);
	t.is(result.code, 1);
	oneLine(t, result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
});

test('serve prints its URL, answers, and exits 0 on SIGTERM; the password of a PostgreSQL URL is never printed', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'sweeps.db');
	new Database(db).close();
	// An empty file is a new database to `run`, but serve opens read-only and says what it is.
	const empty = await runCli(['serve', '--db', db, '--port', '0']);
	t.is(empty.code, 1);
	oneLine(t, empty.stderr, /sweeps\.db: not a sweeplab database/);

	t.is((await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '1'])).code, 0);
	const serve = await startServe(['--db', db]);
	t.regex(serve.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
	t.regex(serve.stdout(), /read-only/);
	const sweeps = await (await fetch(`${serve.url}api/sweeps`)).json() as {sweeps: Array<{name: string}>};
	t.deepEqual(sweeps.sweeps.map(sweep => sweep.name), ['tiny']);
	const stopped = await serve.stop();
	t.is(stopped.code, 0);
	t.is(stopped.stderr, '');

	const unreachable = await runCli(['serve', '--db', 'postgres://ann:s3cret@127.0.0.1:1/sweeps', '--port', '0'], {});
	t.is(unreachable.code, 1);
	t.notRegex(unreachable.stderr + unreachable.stdout, /s3cret/);
	oneLine(t, unreachable.stderr, /postgres:\/\/ann:\*\*\*@127\.0\.0\.1:1\/sweeps/);
});

test('usage errors: a port out of range, a short token', async t => {
	const bad = await runCli(['serve', '--port', '70000', '--db', 'whatever.db']);
	t.is(bad.code, 2);
	t.regex(bad.stderr, /--port 70000/);
	const short = await runCli(['serve', '--token', 'abc', '--db', 'whatever.db']);
	t.is(short.code, 2);
	t.regex(short.stderr, /--token: use at least 8 characters/);
});
