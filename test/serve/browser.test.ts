/**
 * End to end in a real browser: `sweeplab serve` (the CLI, a child process) on a database written by a real
 * `sweeplab run`, driven in Debian's Chromium. One server and one finished run are shared by the tests; the live
 * test starts a second run beside the open page.
 */
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import anyTest, {type ExecutionContext, type TestFn} from 'ava';
import type {Browser, ConsoleMessage, Dialog, Page} from 'playwright-core';
import {fixture, query, runCli, startCli, waitFor} from '../cli/helpers.js';
import {launchChromium, requireChromium, type ServeChild, startServe} from './chromium.js';

interface Context {
	dir: string;
	db: string;
	browser: Browser;
	serve: ServeChild;
}

const test = anyTest as TestFn<Context>;
/** Screenshots land here; SWEEPLAB_SCREENSHOTS keeps them (e.g. to look at them). */
const shots = process.env.SWEEPLAB_SCREENSHOTS;

if (requireChromium(test, 'dashboard browser tests')) {
	test.serial.before(async t => {
		const dir = mkdtempSync(join(tmpdir(), 'sweeplab-dashboard-'));
		const db = join(dir, 'sweeps.db');
		const run = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '2']);
		if (run.code !== 0) {
			throw new Error(`sweeplab run failed (${run.code}): ${run.stderr}`);
		}

		const [browser, serve] = await Promise.all([launchChromium(), startServe(['--db', db])]);
		t.context = {dir, db, browser, serve};
	});

	test.after.always(async t => {
		await t.context.browser?.close();
		await t.context.serve?.stop();
		if (t.context.dir) {
			rmSync(t.context.dir, {recursive: true, force: true});
		}
	});

	/** A page that records console errors, uncaught exceptions, CSP violations and dialogs; none may happen. */
	async function open(t: ExecutionContext<Context>, path: string, base = t.context.serve.url): Promise<{page: Page; problems: string[]}> {
		const page = await t.context.browser.newPage({viewport: {width: 1400, height: 1000}});
		t.teardown(async () => page.close());
		const problems: string[] = [];
		page.on('console', (message: ConsoleMessage) => {
			if (message.type() === 'error') {
				problems.push(`console: ${message.text()}`);
			}
		});
		page.on('pageerror', (error: Error) => problems.push(`page error: ${error.message}`));
		page.on('dialog', async (dialog: Dialog) => {
			problems.push(`dialog: ${dialog.message()}`);
			await dialog.dismiss();
		});
		await page.addInitScript("document.addEventListener('securitypolicyviolation', event => console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI))");
		await page.goto(new URL(path, base).toString());
		return {page, problems};
	}

	/** Poll from Node: the page's policy forbids the eval that page.waitForFunction would need. */
	async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!(await check())) {
			if (Date.now() > deadline) {
				throw new Error(`timed out waiting for ${what}`);
			}

			await new Promise(resolve => {
				setTimeout(resolve, 100);
			});
		}
	}

	async function save(page: Page, name: string): Promise<void> {
		if (shots) {
			mkdirSync(shots, {recursive: true});
			await page.screenshot({path: join(shots, name), fullPage: true});
		}
	}

	test.serial('the sweeps page lists the sweep with its counts; the sweep page shows the leaderboard of `best --json`', async t => {
		const list = await open(t, '/');
		await list.page.waitForSelector('#sweeps tbody tr[data-sweep="tiny"]');
		const row = await list.page.textContent('#sweeps tr[data-sweep="tiny"]');
		t.regex(row!, /4\/4/);
		t.regex(row!, /4 completed/);
		t.regex(row!, /Does a larger learning rate help/);

		const best = await runCli(['best', 'tiny', '--db', t.context.db, '--json']);
		t.is(best.code, 0, best.stderr);
		const expected = JSON.parse(best.stdout).rows as Array<{label: string; rank: number | null; tied: boolean}>;
		const {page, problems} = await open(t, '/sweeps/tiny');
		await page.waitForSelector('main[data-ready]');
		const cells = await page.$$eval('#leaderboard tbody tr', rows => rows.map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent)));
		t.deepEqual(cells.map(row => [row[0], row[1]]), expected.map(row => [row.rank === null ? '-' : `${row.rank}${row.tied ? '=' : ''}`, row.label]));
		// The JSON behind the table, fetched by the page itself: the same rows as `best --json`.
		const api = await page.evaluate("fetch('/api/sweeps/tiny/leaderboard').then(response => response.json())") as {rows: unknown};
		t.deepEqual(api.rows, expected);
		for (const id of ['#tradeoff-chart canvas', '#curves-chart canvas', '#parallel-chart canvas']) {
			t.truthy(await page.$(id), id);
		}

		await page.waitForSelector('#importance-chart canvas');

		t.is(await page.textContent('#question'), 'Does a larger learning rate help the seed MLP on a few hundred images?');
		await page.click('#leaderboard tbody tr:first-child');
		await page.waitForSelector('#trial-chart canvas');
		await save(page, 'dashboard-sweep.png');
		t.deepEqual(problems, []);
	});

	test.serial('the table filters by parameter value and by state, and sorts by a column', async t => {
		const {page, problems} = await open(t, '/sweeps/tiny');
		await page.waitForSelector('main[data-ready]');
		const labels = async () => page.$$eval('#leaderboard tbody tr td.config', cells => cells.map(cell => cell.textContent));
		await page.selectOption('select[data-key="learningRate"]', '0.01');
		await until(async () => (await page.$$('#leaderboard tbody tr')).length === 1, 'one row');
		t.deepEqual(await labels(), ['learningRate=0.01']);
		await page.selectOption('select[data-key="learningRate"]', '');
		await page.selectOption('#filter-state', 'failed');
		await until(async () => (await page.textContent('#leaderboard tbody'))!.includes('No config matches'), 'no rows');
		await page.selectOption('#filter-state', 'completed');
		await until(async () => (await page.$$('#leaderboard tbody tr[data-config]')).length === 2, 'two rows');
		const ranked = await labels();
		await page.click('th[data-sort="rank"]');
		await page.waitForSelector('th[data-sort="rank"].desc');
		t.deepEqual(await labels(), [...ranked].reverse());
		t.deepEqual(problems, []);
	});

	test.serial('the trial page shows its config, state, host, backend, training path and every epoch', async t => {
		const [trial] = query<{id: number; host: string; backend: string; training_path: string}>(t.context.db, 'SELECT id, host, backend, training_path FROM trials ORDER BY id LIMIT 1');
		const {page, problems} = await open(t, `/trials/${trial.id}`);
		await page.waitForSelector('main[data-ready]');
		const facts = (await page.textContent('table.facts'))!;
		for (const text of ['completed', trial.host, trial.backend, trial.training_path, 'learningRate=0.001']) {
			t.true(facts.includes(text), text);
		}

		t.is(await page.$$eval('#epochs tbody tr', rows => rows.length), 2);
		t.truthy(await page.$('#trial-chart canvas'));
		t.deepEqual(problems, []);
	});

	test.serial('a second run writing to the same database shows live; its markup question is text and runs nothing', async t => {
		const run = startCli(['run', fixture('serve/live.yaml'), '--db', t.context.db, '--workers', '1']);
		t.teardown(() => {
			run.child.kill('SIGKILL');
		});
		await waitFor(() => query(t.context.db, "SELECT 1 FROM sweeps WHERE name = 'live-xss'").length > 0, 60_000, 'the second run to open its sweep');
		const {page, problems} = await open(t, '/sweeps/live-xss');
		await page.waitForSelector('main[data-ready]');
		await page.evaluate('window.stayed = true');
		t.is(await page.textContent('#question'), '<img src=x onerror=alert(1)>');
		t.is(await page.$$eval('main img', images => images.length), 0);

		// Epochs committed after the page was drawn arrive by events: the activity line moves on, no reload.
		const epochOf = async () => Number(/epoch (\d+)\//.exec((await page.textContent('#activity')) ?? '')?.[1] ?? 0);
		await until(async () => await epochOf() > 0, 'a first epoch on the page', 60_000);
		const first = await epochOf();
		await until(async () => await epochOf() > first, 'a later epoch on the page', 60_000);
		t.true(await epochOf() > first);
		const result = await run.done;
		t.is(result.code, 0, result.stderr);
		// When both trials finish, the table refreshes itself to two completed configs.
		await until(async () => (await page.$$('#leaderboard tbody tr[data-config]')).length === 2 && (await page.textContent('#leaderboard'))!.split('1/1 done').length === 3, 'both configs done in the table', 30_000);
		t.true(await page.evaluate('window.stayed === true'), 'the page was not reloaded');
		await save(page, 'dashboard-live.png');
		t.deepEqual(problems, []);
	});

	test.serial('on a non-loopback host a token is generated and required: 401 without it, the printed URL works', async t => {
		const serve = await startServe(['--db', t.context.db, '--host', '0.0.0.0']);
		t.teardown(async () => {
			await serve.stop();
		});
		const printed = new URL(serve.url);
		const token = printed.searchParams.get('token');
		t.regex(token ?? '', /^[\w-]{20,}$/);
		const local = `http://127.0.0.1:${printed.port}`;
		const denied = await fetch(`${local}/api/sweeps`);
		t.is(denied.status, 401);
		const {page, problems} = await open(t, `/?token=${token}`, local);
		await page.waitForSelector('#sweeps tbody tr[data-sweep="tiny"]');
		t.false(page.url().includes('token='), 'the token is moved into a cookie');
		t.deepEqual(problems, []);
		const stopped = await serve.stop();
		t.is(stopped.code, 0, stopped.stderr);
	});

	test.serial('a program trial\'s page shows its log as plain text: markup and colours run nothing', async t => {
		const run = await runCli(['run', fixture('serve/logged.yaml'), '--db', t.context.db]);
		t.is(run.code, 0, run.stderr);
		const [{id}] = query(t.context.db, "SELECT t.id FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'logged'") as Array<{id: number}>;
		const {page, problems} = await open(t, `/trials/${id}`);
		await page.waitForSelector('main[data-ready]');
		await page.waitForSelector('#trial-log');
		const log = (await page.textContent('#trial-log')) ?? '';
		t.true(log.includes('\n<script>alert(1)</script><img src=x onerror=alert(2)>\n'), log);
		t.true(log.includes('\nred on stderr\n'), 'the colour codes are dropped, the text kept');
		t.false(log.includes('\u001B'));
		t.is(await page.$$eval('main img, main script', elements => elements.length), 0);
		t.regex((await page.textContent('#log-section')) ?? '', /trial\.log · all \d+ B/);
		// A built-in trial has no log section.
		const builtin = await open(t, '/trials/1');
		await builtin.page.waitForSelector('main[data-ready]');
		t.true(await builtin.page.$eval('#log-section', section => section.hidden));
		await save(page, 'dashboard-trial-log.png');
		t.deepEqual([...problems, ...builtin.problems], []);
	});
}
