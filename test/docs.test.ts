import {cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {CLI, ROOT} from './cli/helpers.js';
import {checkBlock, checkTable, type DocsContext, extractBlocks, extractMarkedTables} from './docs/check.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(name => name.endsWith('.md')).sort().map(name => `docs/${name}`)];

/**
 * One work directory for every runnable example: a copy of sweeps/ and, at the CLI's default db/sweeplab.db, one
 * real run of the quickstart on the bundled subset. The docs' own `run sweeps/quickstart.yaml` lines then resume it.
 */
const context: DocsContext = {root: ROOT, workDir: mkdtempSync(join(tmpdir(), 'sweeplab-docs-')), cli: CLI, ran: new Map()};
const database = join(context.workDir, 'db/sweeplab.db');

test.before(async () => {
	cpSync(join(ROOT, 'sweeps'), join(context.workDir, 'sweeps'), {recursive: true});
	const [problem] = await checkBlock({file: 'setup', line: 1, lang: 'sh', flags: new Set(), attrs: {}, text: 'npx sweeplab run sweeps/quickstart.yaml\n'}, context);
	if (problem) throw new Error(`the shared quickstart run failed: ${problem}`);
});

test.after.always(() => {
	rmSync(context.workDir, {recursive: true, force: true});
});

/** Every problem the check finds in a markdown text. */
async function check(markdown: string, file: string): Promise<string[]> {
	const blocks = extractBlocks(markdown, file);
	const problems: string[] = [];
	for (const [index, block] of blocks.entries()) {
		problems.push(...await checkBlock(block, context, blocks[index + 1]));
	}

	for (const table of extractMarkedTables(markdown, file)) {
		problems.push(...checkTable(table, database));
	}

	return problems;
}

for (const file of DOCS) {
	test(`every example in ${file} runs or validates`, async t => {
		const markdown = readFileSync(join(ROOT, file), 'utf8');
		t.deepEqual(await check(markdown, file), []);
	});
}

test('README.md starts with the two set-up commands and stays a front door', t => {
	const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
	const [first] = extractBlocks(readme, 'README.md');
	t.is(first.text, 'npm install && npx sweeplab run sweeps/quickstart.yaml\nnpm test\n');
	t.true(statSync(join(ROOT, 'README.md')).size <= 8 * 1024, 'README.md is over 8 KB: move the detail into docs/');
	for (const page of DOCS.filter(name => name !== 'README.md')) {
		t.true(readme.includes(`(${page})`), `README.md does not link ${page}`);
	}
});

test('the check fails on broken examples', async t => {
	const broken = [
		'```yaml', 'name: x', 'method: grid', 'dataset: {name: fashion-mnist-mini}', 'base: {activaton: relu}', '```',
		'```yaml fragment', 'base: {epochs: 0}', '```',
		'```yaml error', 'name: fine', 'method: grid', 'dataset: {name: fashion-mnist-mini}', '```',
		'```yaml error file=sweeps/x.yaml', 'name: x', 'method: grid', 'dataset: {name: fashion-mnist-mini}', 'base: {loss: mse}', '```',
		'```text', 'sweeplab: sweeps/x.yaml: base.loss: something else', '```',
		'```sh no-run', 'sweeplab best quickstart --sort speed', 'sweeplab run sweeps/no-such.yaml', 'sweeplab frobnicate', 'npm run no-such-script', 'bash scripts/no-such.sh', 'make all', '```',
		'```sh', 'npx sweeplab best no-such-sweep', 'npx sweeplab run sweeps/baseline.yaml', 'export SWEEPLAB_DB=postgres://u:p@h/db', 'sweeplab status', 'sqlite3 db/sweeplab.db "SELECT * FROM leaderboard WHERE sweep = \'nothing\'"', '```',
		'```sql', 'SELECT no_such_column FROM leaderboard;', '```',
		'```', 'no info string', '```',
		'<!-- docs-check: config-keys -->', '| key | values | default |', '|---|---|---|', '| `model` | mlp | `cnn` |', '',
		'<!-- docs-check: schema-tables -->', '| table | one row per | columns |', '|---|---|---|', '| `epochs` | epoch | trial_id, epoch, loss |', '',
	].join('\n');
	const problems = await check(broken, 'broken.md');
	const expected = [
		/broken\.md:1: .*base\.activaton/,
		/broken\.md:7: .*base\.epochs/,
		/broken\.md:10: a "yaml error" block validated without an error/,
		/broken\.md:15: the message shown below the block is not what sweeplab prints: sweeplab: sweeps\/x\.yaml: base\.loss/,
		/broken\.md:24: sweeplab best quickstart --sort speed: .*speed/,
		/broken\.md:24: sweeplab run sweeps\/no-such\.yaml: .*no-such\.yaml/,
		/broken\.md:24: sweeplab frobnicate: .*frobnicate/,
		/broken\.md:24: npm run no-such-script: package\.json has no script "no-such-script"/,
		/broken\.md:24: bash scripts\/no-such\.sh: no such file/,
		/broken\.md:24: make all: the docs check does not know "make"/,
		/broken\.md:32: npx sweeplab best no-such-sweep: exit code 2: .*no-such-sweep/,
		/broken\.md:32: npx sweeplab run sweeps\/baseline\.yaml: a runnable example must be a short sweep on fashion-mnist-mini/,
		/broken\.md:32: sweeplab status: a PostgreSQL database cannot be used in a test/,
		/broken\.md:32: sqlite3 .*returned no rows/,
		/broken\.md:39: no such column: no_such_column/,
		/broken\.md:42: a fenced block needs one of the info strings/,
		/broken\.md:45: the table lists the keys model; the schema has/,
		/broken\.md:45: the default of model is "mlp", the table says `cnn`/,
		/broken\.md:50: table epochs has the columns .*val_accuracy.*; the docs list epoch, loss, trial_id/,
	];
	for (const pattern of expected) {
		t.true(problems.some(problem => pattern.test(problem)), `no problem matches ${pattern}; got:\n${problems.join('\n')}`);
	}

	t.is(problems.length, expected.length, problems.join('\n'));
});
