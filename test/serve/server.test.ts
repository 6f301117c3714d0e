/**
 * The dashboard's HTTP handlers against a real SQLite database: headers, static files and traversal, the token,
 * errors, the leaderboard, and the live event stream with its cursor.
 */
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import {readSweep} from '../../src/report/data.js';
import {CSP} from '../../src/serve/server.js';
import {LONG_LEASE, OWNER_B, stepRecord} from '../store/contract.js';
import {getJson, raw, readEvents, serveFixture} from './helpers.js';

test('every response carries the Content-Security-Policy; the page shell has no inline script, handler or style', async t => {
	const {dashboard} = await serveFixture(t);
	for (const path of ['/', '/sweeps/widths', '/trials/1', '/compare', '/assets/app.js', '/vendor/vega.min.js', '/api/sweeps', '/nope', '/api/sweeps/nope']) {
		const response = await raw(dashboard.port, path);
		t.is(response.headers['content-security-policy'], CSP, path);
		t.is(response.headers['x-content-type-options'], 'nosniff', path);
	}

	t.regex(CSP, /script-src 'self'(;|$)/);
	t.notRegex(CSP, /unsafe-inline|unsafe-eval/);
	const shell = (await raw(dashboard.port, '/')).body;
	t.regex(shell, /<script type="module" src="\/assets\/app\.js"><\/script>/);
	t.deepEqual([...shell.matchAll(/<script(?![^>]*\ssrc=)[^>]*>/g)], [], 'a script element without src');
	t.notRegex(shell, /\son[a-z]+=|\sstyle=|<style/);
});

test('static files: assets and vendor bundles are served; paths outside the assets folder are 404 however encoded', async t => {
	const {dashboard} = await serveFixture(t);
	const app = await raw(dashboard.port, '/assets/app.js');
	t.is(app.status, 200);
	t.regex(String(app.headers['content-type']), /^text\/javascript/);
	const etag = String(app.headers.etag);
	t.regex(etag, /^"[\w-]+"$/);
	const again = await raw(dashboard.port, '/assets/app.js', {headers: {'If-None-Match': etag}});
	t.is(again.status, 304, 'a browser that has the file revalidates it without downloading it again');
	t.is(again.body, '');
	t.is((await raw(dashboard.port, '/assets/app.js', {headers: {'If-None-Match': '"stale"'}})).status, 200);
	const gzipped = await raw(dashboard.port, '/vendor/vega.min.js', {headers: {'Accept-Encoding': 'gzip, deflate'}});
	t.is(gzipped.headers['content-encoding'], 'gzip');
	t.true(Number(gzipped.headers['content-length']) < 250_000, 'the bundle travels compressed');
	const interpreter = await raw(dashboard.port, '/vendor/vega-interpreter.js');
	t.is(interpreter.status, 200);
	t.notRegex(interpreter.body, /from\s+['"]vega-util['"]/, 'the bare import is pointed at the shim');
	for (const path of [
		'/../../etc/passwd',
		'/assets/../../etc/passwd',
		'/assets/../../../../../../etc/passwd',
		'/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
		'/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
		'/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
		'/assets/..%5c..%5c..%5cetc%5cpasswd',
		'/assets/%252e%252e/%252e%252e/etc/passwd',
		'/assets/%2fetc%2fpasswd',
		'/assets/index.html%00.js',
		'/assets/%E0%A4%A',
		'/assets/',
		'/assets/../server.js',
		'/vendor/../package.json',
		'/vendor/vega',
		'/vendor/constructor',
		'/etc/passwd',
		'/package.json',
	]) {
		const response = await raw(dashboard.port, path);
		t.is(response.status, 404, path);
		t.notRegex(response.body, /root:|"name": "sweeplab"|import /, path);
	}
});

test('read-only: anything but GET and HEAD is refused; a foreign Host header is refused on loopback', async t => {
	const {dashboard} = await serveFixture(t);
	for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
		t.is((await raw(dashboard.port, '/api/sweeps', {method})).status, 405, method);
	}

	t.is((await raw(dashboard.port, '/api/sweeps', {method: 'HEAD'})).status, 200);
	const rebound = await raw(dashboard.port, '/api/sweeps', {headers: {Host: 'attacker.example:8080'}});
	t.is(rebound.status, 403);
	t.is((await raw(dashboard.port, '/api/sweeps', {headers: {Host: `localhost:${dashboard.port}`}})).status, 200);
});

test('a token is required from every request when set: query (then a cookie), bearer header; 401 otherwise', async t => {
	const token = 'correct-horse-battery';
	const {dashboard} = await serveFixture(t, {token});
	t.regex(dashboard.url, /\?token=correct-horse-battery$/);
	for (const path of ['/', '/sweeps/widths', '/assets/app.js', '/api/sweeps', '/api/events', '/nope']) {
		t.is((await raw(dashboard.port, path)).status, 401, path);
		t.is((await raw(dashboard.port, `${path}?token=wrong-horse-battery`)).status, 401, path);
	}

	const api = await raw(dashboard.port, '/api/sweeps');
	t.regex(JSON.parse(api.body).error, /needs its token/);
	const login = await raw(dashboard.port, `/sweeps/widths?token=${token}&x=1`);
	t.is(login.status, 303);
	t.is(login.headers.location, '/sweeps/widths?x=1', 'the token leaves the address bar');
	const cookie = String(login.headers['set-cookie']);
	t.regex(cookie, /HttpOnly/);
	t.regex(cookie, /SameSite=Strict/);
	t.is((await raw(dashboard.port, '/api/sweeps', {headers: {Cookie: cookie.split(';')[0]}})).status, 200);
	t.is((await raw(dashboard.port, '/api/sweeps', {headers: {Authorization: `Bearer ${token}`}})).status, 200);
	t.is((await raw(dashboard.port, '/api/sweeps', {headers: {Cookie: 'sweeplab_token=nope'}})).status, 401);
});

test('errors are one line of JSON: no stack trace, no file paths of the server', async t => {
	const {dashboard} = await serveFixture(t);
	for (const [path, status, pattern] of [
		['/api/sweeps/nope', 404, /no sweep named "nope"/],
		['/api/trials/424242', 404, /no trial 424242/],
		['/api/nothing', 404, /no such endpoint/],
		['/api/sweeps/widths/leaderboard?sort=evil', 400, /sort=evil: expected one of/],
		['/api/sweeps/widths/leaderboard?limit=-1', 400, /limit=-1/],
		['/api/sweeps/widths/leaderboard?p.nope=1', 400, /p\.nope: not a swept parameter/],
		['/api/sweeps/widths/leaderboard?state=sleeping', 400, /state=sleeping/],
		['/api/compare?sweeps=widths', 400, /two or more sweeps/],
		['/api/sweeps/%E0%A4%A', 400, /malformed percent-encoding/],
	] as const) {
		const response = await raw(dashboard.port, path);
		t.is(response.status, status, path);
		const {error} = JSON.parse(response.body);
		t.regex(error, pattern, path);
		t.notRegex(response.body, /\n|\s+at\s|\.js:\d+|\/dist\//, path);
	}
});

test('the leaderboard rows are the ranking of the report code, filtered, sorted and paginated', async t => {
	const {writer, base} = await serveFixture(t);
	const {result, label} = await readSweep(writer, 'widths');
	const expected = JSON.parse(JSON.stringify(result.rows.map(row => ({label: label(row.config), ...row}))));
	const page = await getJson(`${base}/api/sweeps/widths/leaderboard`);
	t.is(page.total, 3);
	t.deepEqual(page.rows, expected);
	t.is(page.cells[0][1], 'hidden=[16]');
	t.deepEqual(page.trials[expected[0].configHash].map((trial: {state: string}) => trial.state), ['completed']);
	const filtered = await getJson(`${base}/api/sweeps/widths/leaderboard?p.hidden=${encodeURIComponent('[32]')}`);
	t.deepEqual(filtered.rows.map((row: {label: string}) => row.label), ['hidden=[32]']);
	const pending = await getJson(`${base}/api/sweeps/widths/leaderboard?state=pending`);
	t.deepEqual(pending.rows.map((row: {label: string}) => row.label), ['hidden=[48]']);
	const fastest = await getJson(`${base}/api/sweeps/widths/leaderboard?sort=trainSeconds`);
	t.deepEqual(fastest.rows.map((row: {label: string}) => row.label), ['hidden=[32]', 'hidden=[16]', 'hidden=[48]'], 'no time sorts last');
	const second = await getJson(`${base}/api/sweeps/widths/leaderboard?offset=1&limit=1`);
	t.deepEqual(second.rows, [expected[1]]);
	t.is(second.total, 3);
	const sweep = await getJson(`${base}/api/sweeps/widths`);
	t.is(sweep.sweep.question, 'does width help?');
	t.deepEqual(Object.keys(sweep.charts).sort(), ['curves', 'parallel', 'tradeoff']);
	t.deepEqual(sweep.values.hidden, ['[16]', '[32]', '[48]']);
});

test('bad leaderboard parameters are a 400 with one line naming the parameter; a page past the end is empty', async t => {
	const {dashboard, base} = await serveFixture(t);
	for (const [query, named] of [
		['offset=-1', 'offset=-1'],
		['offset=1.5', 'offset=1.5'],
		['limit=ten', 'limit=ten'],
		['limit=501', 'limit=501'],
		['sort=bogus', 'sort=bogus'],
		['sort=param:depth', 'sort=param:depth'],
		['dir=sideways', 'dir=sideways'],
		['state=done', 'state=done'],
		['p.depth=3', 'p.depth'],
		[`p.hidden=${encodeURIComponent('[99]')}`, 'p.hidden=[99]'],
	]) {
		// eslint-disable-next-line no-await-in-loop
		const response = await raw(dashboard.port, `/api/sweeps/widths/leaderboard?${query}`);
		t.is(response.status, 400, query);
		const {error} = JSON.parse(response.body) as {error: string};
		t.true(error.startsWith(named), `${query}: ${error}`);
		t.false(error.includes('\n'), query);
	}

	const past = await getJson(`${base}/api/sweeps/widths/leaderboard?offset=50&limit=10`);
	t.deepEqual([past.total, past.rows, past.trials], [3, [], {}]);
	const last = await getJson(`${base}/api/sweeps/widths/leaderboard?offset=2&limit=500&sort=value&dir=desc`);
	t.deepEqual([last.total, last.rows.length], [3, 1]);
});

test('live: the event stream pushes only new epochs after the cursor, and catches a reconnecting page up', async t => {
	const {dashboard, writer, sweepId} = await serveFixture(t);
	const trial = (await writer.claimTrial(sweepId, OWNER_B, LONG_LEASE))!;
	const firstEpoch = readEvents(dashboard.port, '/api/events?sweep=widths', events => events.some(event => event.event === 'trials' && event.data.trials.some((change: {id: number; epochsRun: number}) => change.id === trial.id && change.epochsRun === 1)));
	// The stream is subscribed before the write.
	await firstEpoch.opened;
	await writer.recordStep(trial.id, OWNER_B, stepRecord(1, {valAccuracy: 0.5}));
	const events = await firstEpoch;
	const change = events.flatMap(event => (event.event === 'trials' ? event.data.trials : [])).find((item: {epochsRun: number}) => item.epochsRun === 1);
	t.like(change, {id: trial.id, sweep: 'widths', config: 'hidden=[48]', state: 'running'});
	t.deepEqual(change.points, [{epoch: 1, accuracy: 0.5}]);
	const cursor = events.at(-1)!.id!;
	t.regex(cursor, /^\d+$/);

	const secondEpoch = readEvents(dashboard.port, '/api/events?sweep=widths', events => events.some(event => event.event === 'trials' && event.data.trials.some((item: {epochsRun: number}) => item.epochsRun === 2)));
	await secondEpoch.opened;
	await writer.recordStep(trial.id, OWNER_B, stepRecord(2, {valAccuracy: 0.6}));
	const next = (await secondEpoch).flatMap(event => (event.event === 'trials' ? event.data.trials : [])).find((item: {epochsRun: number}) => item.epochsRun === 2);
	t.false(next.reset);
	t.deepEqual(next.points, [{epoch: 2, accuracy: 0.6}], 'only the epoch the page has not seen');

	// A page that was away sends its cursor (Last-Event-ID) and gets the trial in full.
	const caughtUp = await readEvents(dashboard.port, '/api/events?sweep=widths', events => events.some(event => event.event === 'trials'), 10_000, {'Last-Event-ID': cursor});
	const full = caughtUp.find(event => event.event === 'trials')!.data.trials.find((item: {id: number}) => item.id === trial.id);
	t.true(full.reset);
	t.deepEqual(full.points, [{epoch: 1, accuracy: 0.5}, {epoch: 2, accuracy: 0.6}]);

	// Another sweep's page hears nothing of this trial.
	const other = await readEvents(dashboard.port, '/api/events?sweep=other', () => false, 600).catch(() => []);
	t.false(other.some(event => event.event === 'trials'));
});

test('the cached analysis follows the database: a finished trial shows in the next leaderboard', async t => {
	const {writer, sweepId, base} = await serveFixture(t);
	const before = await getJson(`${base}/api/sweeps/widths/leaderboard`);
	t.is(before.rows.filter((row: {completed: number}) => row.completed === 1).length, 2);
	const trial = (await writer.claimTrial(sweepId, OWNER_B, LONG_LEASE))!;
	await writer.recordStep(trial.id, OWNER_B, stepRecord(1, {valAccuracy: 0.9}));
	await writer.finishTrial(trial.id, OWNER_B, {state: 'completed', trainSeconds: 1});
	const deadline = Date.now() + 5000;
	let rows: Array<{label: string; completed: number}> = [];
	while (Date.now() < deadline) {
		rows = (await getJson(`${base}/api/sweeps/widths/leaderboard`)).rows;
		if (rows[0].label === 'hidden=[48]') {
			break;
		}

		await new Promise(resolve => {
			setTimeout(resolve, 100);
		});
	}

	t.is(rows[0].label, 'hidden=[48]');
	t.is(rows[0].completed, 1);
});

test('a program trial\'s log: its tail as plain text, more on request, and nothing outside the trials folder', async t => {
	const trialsDir = mkdtempSync(join(tmpdir(), 'sweeplab-trials-'));
	t.teardown(() => rmSync(trialsDir, {recursive: true, force: true}));
	const {dashboard, writer, sweepId} = await serveFixture(t, {trialsDir});
	const trial = (await writer.claimTrial(sweepId, OWNER_B, LONG_LEASE))!;
	const folder = join(trialsDir, 'widths', `trial-${trial.id}`);
	mkdirSync(folder, {recursive: true});
	// The rotated half, then the current file; the last lines carry markup, colours and a cursor move.
	writeFileSync(join(folder, 'trial.log.1'), 'first line\n' + 'x'.repeat(70_000) + '\n');
	writeFileSync(join(folder, 'trial.log'), 'epoch 1 done\n<script>alert(1)</script>\n\u001B[31mred\u001B[0m and \u001B[1;32mbold green\u001B[0m\r\n\u001B]0;title\u0007\u001B[2Klast\u0000 line\n');
	await writer.finishTrial(trial.id, OWNER_B, {state: 'failed', error: 'exit code 1', logPath: join(folder, 'trial.log')});

	const tail = await getJson(`${dashboard.url}api/trials/${trial.id}/log`);
	t.is(tail.path, join(folder, 'trial.log'));
	t.is(tail.unavailable, undefined);
	t.false(tail.complete);
	t.is(tail.shown, 64 * 1024);
	t.true(tail.size > 70_000);
	t.true(tail.text.endsWith('epoch 1 done\n<script>alert(1)</script>\nred and bold green\nlast line\n'), tail.text.slice(-120));
	t.notRegex(tail.text, /[\u0000-\u0008\u000B-\u001F]/, 'no escape or control characters are left');
	t.false(tail.text.includes('first line'));
	const whole = await getJson(`${dashboard.url}api/trials/${trial.id}/log?tail=1000000`);
	t.true(whole.complete);
	t.true(whole.text.startsWith('first line\nxxx'));
	t.is((await raw(dashboard.port, `/api/trials/${trial.id}/log?tail=-1`)).status, 400);
	t.is((await raw(dashboard.port, `/api/trials/${trial.id}/log?tail=../../etc/passwd`)).status, 400);
	// A built-in trial has no log.
	t.like(await getJson(`${dashboard.url}api/trials/1/log`), {path: null, text: ''});

	// The stored path is data: one outside the trials folder, a symbolic link in place of the log or of the trial's
	// folder are never read.
	const secret = join(trialsDir, '..', `secret-${process.pid}.txt`);
	writeFileSync(secret, 'root:x:0:0\n');
	t.teardown(() => rmSync(secret, {force: true}));
	const copy = await writer.importSweep({...(await writer.getSweep('widths'))!, name: 'widths-copy'}, ['a', 'b', 'c', 'd'].map((configHash, ordinal) => ({...trial, id: 101 + ordinal, ordinal, configHash, state: 'pending', logPath: null})), []);
	const ids = (await writer.trials(copy.id)).map(copied => copied.id);
	const [outside, otherTrial, linkedFile, linkedFolder] = ids;
	const logOf = (id: number | string) => join(trialsDir, 'widths-copy', `trial-${id}`, 'trial.log');
	mkdirSync(dirname(logOf(linkedFile)), {recursive: true});
	symlinkSync(secret, logOf(linkedFile));
	symlinkSync(dirname(secret), dirname(logOf(linkedFolder)));
	const db = new Database(writer.path);
	const setLog = db.prepare('UPDATE trials SET log_path = ? WHERE id = ?');
	for (const [id, path] of [[outside, secret], [otherTrial, logOf('X')], [linkedFile, logOf(linkedFile)], [linkedFolder, logOf(linkedFolder)]] as const) {
		setLog.run(path, id);
	}

	db.close();
	for (const id of ids) {
		const log = await getJson(`${dashboard.url}api/trials/${id}/log?tail=100000`);
		t.is(log.text, '', `trial ${id}`);
		t.regex(log.unavailable, /not in this dashboard's trials folder|symbolic link|no log/, `trial ${id}`);
	}
});

test('parameter importance is computed in a thread of its own and answers with the chart, or why there is none', async t => {
	const {dashboard, writer, sweepId} = await serveFixture(t);
	// The fixture's widths ([16], [32]) are not among its sweep's values: nothing to attribute variance to.
	t.regex((await getJson(`${dashboard.url}api/sweeps/widths/importance`)).note, /at least two configs/);
	const widths = (await writer.getSweep('widths'))!;
	const done = (await writer.trials(sweepId)).filter(trial => trial.state === 'completed');
	const steps = await writer.trialSteps(done.map(trial => trial.id));
	const swept = done.map((trial, index) => ({...trial, config: {...trial.config, hidden: [[32], [64]][index]}}));
	await writer.importSweep({...widths, name: 'swept'}, swept, steps);
	const view = await getJson(`${dashboard.url}api/sweeps/swept/importance`);
	t.deepEqual(view.chart?.data?.values?.map((value: {name: string}) => value.name), ['hidden'], JSON.stringify(view).slice(0, 300));
});
