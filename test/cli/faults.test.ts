import {readdirSync, readFileSync, statSync} from 'node:fs';
import {createHash} from 'node:crypto';
import {basename, join} from 'node:path';
import test from 'ava';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {readSweepFile} from '../../src/sweep/read.js';
import {fixture, query, runCli, tempDir} from './helpers.js';

interface TrialRow {
	state: string;
	attempts: number;
	error: string | null;
	config: string;
	epochs_run: number;
}

const trialsOf = (db: string) => query<TrialRow>(db, 'SELECT * FROM trials ORDER BY ordinal');
const learningRate = (trial: TrialRow) => (JSON.parse(trial.config) as {learningRate: number}).learningRate;

test('a loss that becomes NaN ends that trial as diverged with its epoch; the sweep goes on', async t => {
	const db = join(tempDir(t), 'diverge.db');
	const result = await runCli(['run', fixture('e2e/diverge.yaml'), '--db', db]);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /learningRate=10 +DIVERGED: loss became NaN at epoch 1/);
	const [blown, sane] = trialsOf(db);
	t.is(blown.state, 'diverged');
	t.is(blown.epochs_run, 1);
	t.regex(blown.error!, /at epoch 1/);
	t.is(sane.state, 'completed');
	const epoch = query<{loss: unknown; typeof_loss: string}>(db, 'SELECT loss, typeof(loss) AS typeof_loss FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.state = \'diverged\'');
	t.deepEqual(epoch, [{loss: 'NaN', typeof_loss: 'text'}], 'the NaN is stored, not turned into NULL');
});

test('a trial whose worker throws is retried --retries times, then failed with the error; the others complete', async t => {
	const db = join(tempDir(t), 'throw.db');
	const result = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--retries', '1'], {SWEEPLAB_FAILPOINT: 'throw:0.01'});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /failed on attempt 1, retrying: .*injected failure/);
	for (const trial of trialsOf(db)) {
		if (learningRate(trial) === 0.01) {
			t.is(trial.state, 'failed');
			t.is(trial.attempts, 2);
			t.regex(trial.error!, /injected failure \(SWEEPLAB_FAILPOINT=throw:0.01\)/);
		} else {
			t.is(trial.state, 'completed');
			t.is(trial.attempts, 1);
		}
	}
});

test('a worker thread that dies fails only its trial; the pool replaces it and trains the rest', async t => {
	const db = join(tempDir(t), 'exit.db');
	const result = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '1'], {SWEEPLAB_FAILPOINT: 'exit:0.001'});
	t.is(result.code, 0, result.stderr);
	const trials = trialsOf(db);
	t.deepEqual(trials.map(trial => [learningRate(trial), trial.state]), [[0.001, 'failed'], [0.01, 'completed'], [0.001, 'failed'], [0.01, 'completed']]);
	t.true(trials.filter(trial => trial.state === 'failed').every(trial => trial.error!.length > 0 && !trial.error!.includes('\n')));
});

test('timeoutMinutes stops a trial that runs too long as timeout', async t => {
	const dir = tempDir(t);
	const file = join(dir, 'timeout.yaml');
	const source = readFileSync(fixture('e2e/slow.yaml'), 'utf8').replace('name: slow', 'name: timeout\ntimeoutMinutes: 0.005').replace('epochs: 4', 'epochs: 200').replace('[0.001, 0.002, 0.003, 0.004]', '[0.001]');
	(await import('node:fs')).writeFileSync(file, source);
	const db = join(dir, 'timeout.db');
	const result = await runCli(['run', file, '--db', db]);
	t.is(result.code, 0, result.stderr);
	const [trial] = trialsOf(db);
	t.is(trial.state, 'timeout');
	t.regex(trial.error!, /exceeded timeoutMinutes: 0.005/);
	t.true(trial.epochs_run < 200, `${trial.epochs_run} epochs`);
});

test('two processes on one database share a sweep: every trial is trained exactly once', async t => {
	const db = join(tempDir(t), 'shared.db');
	const [a, b] = await Promise.all([
		runCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '1']),
		runCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '1']),
	]);
	t.is(a.code, 0, a.stderr);
	t.is(b.code, 0, b.stderr);
	const trials = trialsOf(db);
	t.is(trials.length, 4);
	t.true(trials.every(trial => trial.state === 'completed' && trial.attempts === 1));
	const epochs = query<{n: number}>(db, 'SELECT count(*) AS n FROM epochs')[0].n;
	t.is(epochs, 16);
	const trainedBy = (output: string) => output.split('\n').filter(line => /^ {2}\[\d+\/4\] #\d/.test(line)).length;
	t.is(trainedBy(a.stdout) + trainedBy(b.stdout), 4, `${a.stdout}\n${b.stdout}`);
});

test('every malformed sweep file of the corpus: one line naming the file, exit 1, database unchanged', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'corpus.db');
	const store = openSqliteStore(db);
	const {definition, source} = await readSweepFile(fixture('e2e/tiny.yaml'));
	await store.openSweep({definition, definitionHash: definitionHash(definition), source, file: 'tiny.yaml'});
	await store.close();
	const digest = () => createHash('sha256').update(readFileSync(db)).digest('hex');
	const before = digest();
	const badDir = fixture('sweeps/bad');
	const files = readdirSync(badDir).filter(name => /\.(ya?ml|json)$/.test(name));
	t.true(files.length >= 30, `${files.length} malformed files`);
	const results = [];
	for (let i = 0; i < files.length; i += 4) {
		results.push(...await Promise.all(files.slice(i, i + 4).map(async name => ({name, result: await runCli(['run', join(badDir, name), '--db', db])}))));
	}

	for (const {name, result} of results) {
		t.is(result.code, 1, `${name}: exit ${result.code}`);
		const lines = result.stderr.trim().split('\n');
		t.is(lines.length, 1, `${name}: ${result.stderr}`);
		t.true(lines[0].startsWith(`sweeplab: ${join(badDir, name)}`), `${name}: ${lines[0]}`);
		t.is(result.stdout, '', name);
	}

	t.is(digest(), before, 'no malformed file changed the database');
	t.is(statSync(db).size > 0, true);
	t.is(basename(db), 'corpus.db');
});
