/**
 * End to end: train a real two-config, two-repeat sweep on the bundled subset with the CLI, then
 * `report`, `best` and `export` it as a user would.
 */
import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import anyTest, {type TestFn} from 'ava';
import Database from 'better-sqlite3';

const test = anyTest as TestFn<{dir: string; db: string}>;
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const sweepFile = join(root, 'test/fixtures/report/tiny.yaml');

async function sweeplab(...args: string[]): Promise<{stdout: string; stderr: string; code: number}> {
	try {
		const {stdout, stderr} = await run(process.execPath, [cli, ...args], {cwd: root, maxBuffer: 16 * 1024 * 1024});
		return {stdout, stderr, code: 0};
	} catch (error) {
		const failed = error as {stdout: string; stderr: string; code: number};
		return {stdout: failed.stdout, stderr: failed.stderr, code: failed.code};
	}
}

test.before(async t => {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-report-cli-'));
	const db = join(dir, 'sweeps.db');
	t.context = {dir, db};
	const result = await sweeplab('run', sweepFile, '--db', db, '--workers', '2', '--backend', 'wasm');
	if (result.code !== 0) {
		throw new Error(`sweeplab run failed (${result.code}): ${result.stderr}`);
	}
});

test.after.always(t => {
	if (t.context.dir) {
		rmSync(t.context.dir, {recursive: true, force: true});
	}
});

test('report writes a README with the answer, the leaderboard, the definition and three SVG plots', async t => {
	const out = join(t.context.dir, 'reports');
	const result = await sweeplab('report', '--all', '--db', t.context.db, '--out', out);
	t.is(result.code, 0, result.stderr);
	const readme = readFileSync(join(out, 'tiny-report', 'README.md'), 'utf8');
	t.regex(readme, /^# Sweep `tiny-report`/);
	t.regex(readme, /> Does a wider hidden layer pay for its training time\?/);
	t.regex(readme, /The best validation accuracy is \*\*\d+\.\d\d% ± \d+\.\d\d\*\* \(`hidden=\[(8|32)\]`\)/);
	t.regex(readme, /on the Pareto front/);
	t.regex(readme, /\| rank \| config \| val acc \|/);
	t.regex(readme, /\| 1=? \| hidden=\[(8|32)\] \| .* \| 2\/2 done \|/);
	t.regex(readme, /\| hidden=\[8\] \|/);
	t.regex(readme, /\| hidden=\[32\] \|/);
	t.true(readme.includes('```yaml\n# Two configs x two repeats'));
	// Two configs of one swept parameter: it explains all the variance there is, and the section sits before the plots.
	t.regex(readme, /## Which parameters matter\n\nEach swept parameter's share of the variance of validation accuracy over its 2 configs[^\n]*\n\n\| parameter \| share of variance \| ± over trees \|\n\|---\|---:\|---:\|\n\| hidden \| 100\.0% \| 0\.0% \|\n\n## Plots/);
	const plots = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map(match => match[1]);
	t.is(plots.length, 3);
	for (const plot of plots) {
		const svg = readFileSync(join(out, 'tiny-report', plot), 'utf8');
		t.true(svg.startsWith('<svg'), plot);
		t.true(svg.includes('hidden=[32]') || svg.includes('hidden=[8]') || svg.includes('validation'), plot);
	}

	const index = readFileSync(join(out, 'README.md'), 'utf8');
	t.regex(index, /\[tiny-report\]\(tiny-report\/README\.md\)/);
});

test('best prints the table and names the configs; --json rows match the leaderboard view', async t => {
	const text = await sweeplab('best', 'tiny-report', '--db', t.context.db);
	t.is(text.code, 0, text.stderr);
	t.regex(text.stdout, /│ rank │ config/);
	t.regex(text.stdout, /most accurate: +hidden=\[(8|32)\]/);
	t.regex(text.stdout, /fastest within 0\.5 points: +hidden=/);

	const json = await sweeplab('best', 'tiny-report', '--db', t.context.db, '--json', '--top', '1');
	const parsed = JSON.parse(json.stdout) as {rows: Array<{label: string; configHash: string; value: {mean: number; n: number}}>; mostAccurate: string};
	t.is(parsed.rows.length, 1);
	t.is(parsed.rows[0].label, parsed.mostAccurate);
	t.is(parsed.rows[0].value.n, 2);
	const db = new Database(t.context.db, {readonly: true});
	t.teardown(() => db.close());
	const top = db.prepare(`SELECT config_hash, val_accuracy FROM leaderboard WHERE sweep = 'tiny-report' ORDER BY rank LIMIT 1`).get() as {config_hash: string; val_accuracy: number};
	t.is(top.config_hash, parsed.rows[0].configHash);
	t.true(Math.abs(top.val_accuracy - parsed.rows[0].value.mean) < 1e-9);

	const budget = await sweeplab('best', 'tiny-report', '--db', t.context.db, '--budget', '0.000001');
	t.regex(budget.stdout, /best within 0\.000001 s: +none/);
});

test('export writes every epoch of every trial as CSV', async t => {
	const out = join(t.context.dir, 'export', 'tiny.csv');
	const result = await sweeplab('export', 'tiny-report', '--db', t.context.db, '--format', 'csv', '--out', out);
	t.is(result.code, 0, result.stderr);
	const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
	t.true(lines[0].startsWith('sweep,trial_id,ordinal,config_hash,repeat,seed,state,'));
	t.is(lines.length, 1 + 4 * 3);
	const json = JSON.parse((await sweeplab('export', 'tiny-report', '--db', t.context.db, '--format', 'json')).stdout) as {trials: Array<{epochs: unknown[]}>};
	t.deepEqual(json.trials.map(trial => trial.epochs.length), [3, 3, 3, 3]);
});

test('an unknown sweep or a missing database is a usage error naming what exists', async t => {
	const unknown = await sweeplab('best', 'nope', '--db', t.context.db);
	t.is(unknown.code, 2);
	t.regex(unknown.stderr, /no sweep named "nope" in .*; it has: tiny-report/);
	const missing = join(t.context.dir, 'missing.db');
	const absent = await sweeplab('report', 'tiny-report', '--db', missing);
	t.is(absent.code, 2);
	t.regex(absent.stderr, /no database at .*missing\.db/);
	t.false(existsSync(missing));
	const neither = await sweeplab('report', '--db', t.context.db);
	t.is(neither.code, 2);
});
