import {execFile} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {CLI, query, ROOT, runCli, tempDir} from './helpers.js';

const exec = promisify(execFile);

interface TrialRow {
	id: number;
	state: string;
	attempts: number;
	owner: string | null;
	error: string | null;
	stop_reason: string | null;
	train_seconds: number | null;
	final_metrics: string | null;
}

/** A tpe sweep over one free parameter, for ask and tell driven by hand. */
function sweepFile(t: Parameters<typeof tempDir>[0], extra = ''): {file: string; db: string} {
	const dir = tempDir(t);
	const file = join(dir, 'told.yaml');
	writeFileSync(file, `name: told
method: random
trials: 3
seed: 4
program:
  command: [python3, train.py, "\${args}"]
metric: {name: loss, goal: minimize}
base: {epochs: 3}
parameters:
  lr: {distribution: log-uniform, min: 0.0001, max: 0.1}
${extra}`);
	return {file, db: join(dir, 'told.db')};
}

test('ask hands out each trial once with its parameters; tell records steps, answers continue, and records the end', async t => {
	const {file, db} = sweepFile(t);
	const first = await runCli(['ask', file, '--db', db, '--json']);
	t.is(first.code, 0, first.stderr);
	const asked = JSON.parse(first.stdout) as {trial: number; params: {lr: number; epochs: number}; seed: number; args: string[]; sweep: string; metric: {name: string}};
	t.is(asked.sweep, 'told');
	t.is(asked.metric.name, 'loss');
	t.is(asked.params.epochs, 3);
	t.deepEqual(asked.args, [`--epochs=3`, `--lr=${asked.params.lr}`]);
	// The text form: the id, then the parameters as arguments; another trial, since the first is running.
	const second = await runCli(['ask', 'told', '--db', db]);
	const [id, ...args] = second.stdout.trim().split(' ');
	t.not(Number(id), asked.trial);
	t.is(args.length, 2);

	const step1 = await runCli(['tell', 'told', String(asked.trial), '--db', db, '--step', '1', '--metrics', '{"loss": 0.9, "val_accuracy": 0.5}', '--seconds', '2']);
	t.is(step1.code, 0, step1.stderr);
	t.is(step1.stdout.trim(), 'continue');
	const step2 = await runCli(['tell', 'told', String(asked.trial), '--db', db, '--step', '2', '--metrics', '{"loss": 0.5}', '--json']);
	t.deepEqual(JSON.parse(step2.stdout), {stop: false, state: 'running'});
	const again = await runCli(['tell', 'told', String(asked.trial), '--db', db, '--step', '2', '--metrics', '{"loss": 0.4}']);
	t.is(again.code, 1);
	t.regex(again.stderr, /already has step 2/);
	const done = await runCli(['tell', 'told', String(asked.trial), '--db', db, '--state', 'completed', '--metrics', '{"test_accuracy": 0.8}']);
	t.is(done.stdout.trim(), 'completed');

	const [row] = query<TrialRow>(db, 'SELECT * FROM trials WHERE id = ?', asked.trial);
	t.like(row, {state: 'completed', owner: null});
	t.true(row.train_seconds! >= 2);
	t.deepEqual(JSON.parse(row.final_metrics!), {test_accuracy: 0.8});
	t.deepEqual(query(db, 'SELECT step, seconds FROM steps WHERE trial_id = ? ORDER BY step', asked.trial).map(step => (step as {step: number}).step), [1, 2]);
	const late = await runCli(['tell', 'told', String(asked.trial), '--db', db, '--step', '3', '--metrics', '{"loss": 0.3}']);
	t.is(late.code, 1);
	t.regex(late.stderr, /not an asked trial still running: it is completed/);
});

test('tell answers pruned (the sweep\'s pruner) and diverged (NaN in the metric) and ends the trial; ask prints nothing when none is left', async t => {
	const {file, db} = sweepFile(t, 'pruner: {kind: median, warmupEpochs: 0, minTrials: 1}\n');
	const ask = async () => (await runCli(['ask', file, '--db', db])).stdout.trim().split(' ')[0];
	const good = await ask();
	await runCli(['tell', 'told', good, '--db', db, '--step', '1', '--metrics', '{"loss": 0.2}']);
	await runCli(['tell', 'told', good, '--db', db, '--state', 'completed']);
	const worse = await ask();
	const pruned = await runCli(['tell', 'told', worse, '--db', db, '--step', '1', '--metrics', '{"loss": 0.9}']);
	t.regex(pruned.stdout, /^pruned: best loss 0\.900 by epoch 1 above the median 0\.200/);
	// The caller stops and may say so; the trial is already pruned.
	t.is((await runCli(['tell', 'told', worse, '--db', db, '--state', 'pruned'])).code, 0);
	const nan = await ask();
	const diverged = await runCli(['tell', 'told', nan, '--db', db, '--step', '1', '--metrics', '{"loss": "NaN"}', '--json']);
	t.deepEqual(JSON.parse(diverged.stdout), {stop: true, state: 'diverged', reason: 'loss became NaN at step 1'});
	t.deepEqual(query<TrialRow>(db, 'SELECT state FROM trials ORDER BY ordinal').map(row => row.state), ['completed', 'pruned', 'diverged']);

	const none = await runCli(['ask', 'told', '--db', db]);
	t.is(none.code, 0);
	t.is(none.stdout, '');
	t.regex(none.stderr, /no trial left to ask for/);
	const bad = await runCli(['tell', 'told', good, '--db', db, '--step', '2', '--metrics', '{"loss": "low"}']);
	t.is(bad.code, 2);
	t.regex(bad.stderr, /"loss" is "low", expected a number/);
});

test('a trial asked and never told is handed out again once its lease expires', async t => {
	const {file, db} = sweepFile(t);
	const first = JSON.parse((await runCli(['ask', file, '--db', db, '--json'])).stdout) as {trial: number};
	await new Promise(resolve => {
		setTimeout(resolve, 1500);
	});
	// With a one-second lease the silent trial counts as orphaned: it comes back first (lowest ordinal).
	const again = JSON.parse((await runCli(['ask', 'told', '--db', db, '--json', '--lease-seconds', '1'])).stdout) as {trial: number};
	t.is(again.trial, first.trial);
	t.like(query<TrialRow>(db, 'SELECT * FROM trials WHERE id = ?', first.trial)[0], {state: 'running', attempts: 2});
});

test('examples/ask-tell: a shell loop asks, trains a python script and tells every epoch; the pruner stops the hopeless trial', async t => {
	const db = join(tempDir(t), 'loop.db');
	const {stdout} = await exec('bash', [join(ROOT, 'examples/ask-tell/loop.sh')], {cwd: ROOT, env: {...process.env, SWEEPLAB: `${process.execPath} ${CLI}`, DB: db}});
	t.regex(stdout, /trial \d+: completed\ntrial \d+: completed\ntrial \d+: pruned: best val_accuracy 0\.385 by epoch 2 below the median/);
	t.regex(stdout, /most accurate: +lr=0\.01/);
	const rows = query<{state: string; config: string; steps: number}>(db, 'SELECT t.state, t.config, count(s.id) AS steps FROM trials t LEFT JOIN steps s ON s.trial_id = t.id GROUP BY t.id ORDER BY t.ordinal');
	t.deepEqual(rows.map(row => [JSON.parse(row.config).lr, row.state, row.steps]), [[0.1, 'completed', 4], [0.01, 'completed', 4], [0.00001, 'pruned', 2]]);
});
