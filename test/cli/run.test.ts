import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {fusedKernelsAvailable} from '../../src/train/kernels/load.js';
import {fixture, query, runCli, startCli, tempDir, waitFor} from './helpers.js';

interface TrialRow {
	id: number;
	state: string;
	backend: string;
	training_path: string;
	param_count: number;
	epochs_run: number;
	test_accuracy: number | null;
	final_metrics: string;
	started_at: string;
	attempts: number;
	config: string;
	repeat: number;
}

test('a CNN trial records how each of its convolutions ran beside its training path, and its line says so', async t => {
	const db = join(tempDir(t), 'cnn.db');
	const result = await runCli(['run', fixture('e2e/tiny-cnn.yaml'), '--db', db, '--workers', '1']);
	t.is(result.code, 0, result.stderr);
	const path = fusedKernelsAvailable() ? 'simd-fma' : 'simd';
	// 1 -> 16 channels directly, 16 -> 32 by Winograd (kernels/conv.ts directConv, winogradPlan).
	const recorded = `${path}; conv direct, Winograd F(4x4, 3x3)`;
	const [trial] = query<TrialRow>(db, 'SELECT * FROM trials');
	t.is(trial.training_path, recorded);
	t.true(result.stdout.includes(`(wasm, ${recorded})`), result.stdout);
});

test('run trains every trial of a real sweep with 2 workers and records every epoch; a second run trains nothing', async t => {
	const db = join(tempDir(t), 'e2e.db');
	const first = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '2']);
	t.is(first.code, 0, first.stderr);
	t.regex(first.stdout, /4 trials \(4 to train\) on fashion-mnist-mini .* 2 workers/);
	t.regex(first.stdout, /rank .* config .* val acc/);
	t.regex(first.stdout, /4 completed in/);

	const trials = query<TrialRow>(db, 'SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ? ORDER BY ordinal', 'tiny');
	t.is(trials.length, 4);
	for (const trial of trials) {
		t.is(trial.state, 'completed');
		t.is(trial.backend, 'wasm');
		// The worker threads pick the fused kernels as this process does (relaxed SIMD's flag is set per process).
		t.is(trial.training_path, fusedKernelsAvailable() ? 'simd-fma' : 'simd');
		t.is(trial.param_count, (784 * 32) + 32 + (32 * 10) + 10);
		t.is(trial.epochs_run, 2);
		t.true(trial.test_accuracy! > 0.2 && trial.test_accuracy! <= 1);
		t.is((JSON.parse(trial.final_metrics) as {test_epoch: number}).test_epoch, 2, 'without early stopping the last epoch\'s weights are tested');
	}

	t.deepEqual(trials.map(trial => [JSON.parse(trial.config).learningRate, trial.repeat]), [[0.001, 0], [0.01, 0], [0.001, 1], [0.01, 1]]);
	const epochs = query<{trial_id: number; epoch: number; loss: number; val_accuracy: number; seconds: number}>(db, 'SELECT * FROM epochs ORDER BY trial_id, epoch');
	t.is(epochs.length, 8);
	t.true(epochs.every(epoch => Number.isFinite(epoch.loss) && epoch.val_accuracy > 0 && epoch.seconds > 0));

	const second = await runCli(['run', fixture('e2e/tiny.yaml'), '--db', db, '--workers', '2']);
	t.is(second.code, 0, second.stderr);
	t.regex(second.stdout, /4 already finished, 0 to train/);
	t.regex(second.stdout, /nothing to train/);
	const after = query<TrialRow>(db, 'SELECT * FROM trials ORDER BY ordinal');
	t.deepEqual(after.map(trial => [trial.started_at, trial.attempts]), trials.map(trial => [trial.started_at, trial.attempts]));
	t.is(query(db, 'SELECT * FROM epochs').length, 8);

	const status = await runCli(['status', '--db', db]);
	t.is(status.code, 0);
	t.regex(status.stdout, /tiny .* 4 .* 4/);
});

test('a sweep killed with SIGKILL mid-run resumes: finished trials are kept, the rest rerun, no epoch is duplicated', async t => {
	const db = join(tempDir(t), 'kill.db');
	const completed = () => {
		try {
			return query<{n: number}>(db, 'SELECT count(*) AS n FROM trials WHERE state = \'completed\'')[0].n;
		} catch {
			return 0;
		}
	};

	const {child, done} = startCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '2']);
	await waitFor(() => completed() >= 1, 120_000, 'a first completed trial');
	child.kill('SIGKILL');
	await done;
	const beforeResume = query<TrialRow & {finished_at: string}>(db, 'SELECT * FROM trials WHERE state = \'completed\' ORDER BY id');
	t.true(beforeResume.length >= 1 && beforeResume.length < 4, `${beforeResume.length} completed before the kill`);
	t.true(query(db, 'SELECT * FROM trials WHERE state = \'running\'').length > 0, 'the kill left running trials behind');

	const resumed = await runCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '2']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /requeued: its process \d+ is gone/);
	const trials = query<TrialRow & {finished_at: string}>(db, 'SELECT * FROM trials ORDER BY id');
	t.true(trials.every(trial => trial.state === 'completed'));
	for (const kept of beforeResume) {
		const now = trials.find(trial => trial.id === kept.id)!;
		t.is(now.finished_at, kept.finished_at, 'a finished trial is never rerun');
		t.is(now.attempts, 1);
	}

	const counts = query<{trial_id: number; n: number; distinct_epochs: number}>(db, 'SELECT trial_id, count(*) AS n, count(DISTINCT epoch) AS distinct_epochs FROM epochs GROUP BY trial_id');
	t.is(counts.length, 4);
	t.true(counts.every(row => row.n === 4 && row.distinct_epochs === 4));
});

/** Epochs stored so far (0 while the database does not exist yet). */
function storedEpochs(db: string): number {
	try {
		return query<{n: number}>(db, 'SELECT count(*) AS n FROM epochs')[0].n;
	} catch {
		return 0;
	}
}

/** Run the slow sweep, send `signal` once its first epoch is stored, and wait for the run to end. */
async function signalAfterFirstEpoch(db: string, signal: NodeJS.Signals) {
	const {child, done} = startCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '2']);
	await waitFor(() => storedEpochs(db) >= 1, 120_000, 'a first epoch');
	child.kill(signal);
	return done;
}

test('Ctrl-C stops after the current epoch, marks running trials interrupted, exits 130, and a rerun finishes them', async t => {
	const db = join(tempDir(t), 'sigint.db');
	const result = await signalAfterFirstEpoch(db, 'SIGINT');
	t.is(result.code, 130, result.stderr);
	t.regex(result.stderr, /interrupted; finished trials and their epochs are saved\. Resume with: sweeplab run .*slow\.yaml/);
	const states = query<{state: string}>(db, 'SELECT state FROM trials').map(row => row.state);
	t.true(states.includes('interrupted'), states.join(','));
	t.false(states.includes('running'));

	const resumed = await runCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '2']);
	t.is(resumed.code, 0, resumed.stderr);
	t.true(query<{state: string}>(db, 'SELECT state FROM trials').every(row => row.state === 'completed'));
	t.is(storedEpochs(db), 16);
});

test('SIGTERM is named as such: the run stops after the current epoch, exits 130, and its trials say SIGTERM', async t => {
	const db = join(tempDir(t), 'sigterm.db');
	const result = await signalAfterFirstEpoch(db, 'SIGTERM');
	t.is(result.code, 130, result.stderr);
	t.regex(result.stderr, /sweeplab: SIGTERM: finishing the current epochs, then stopping \(SIGTERM again to stop now\)/);
	t.notRegex(result.stderr, /SIGINT|Ctrl-C/);
	const interrupted = query<{error: string}>(db, `SELECT error FROM trials WHERE state = 'interrupted'`);
	t.true(interrupted.length > 0);
	t.true(interrupted.every(trial => trial.error === 'interrupted (SIGTERM)'), JSON.stringify(interrupted));
	// Each stopped trial checkpointed its last epoch on the way out (the default policy's interval notwithstanding).
	const kept = query<{epochs_run: number; epoch: number | null}>(db, `SELECT t.epochs_run, c.epoch FROM trials t LEFT JOIN checkpoints c ON c.trial_id = t.id WHERE t.state = 'interrupted' AND t.epochs_run > 0`);
	t.true(kept.every(row => row.epoch === row.epochs_run), JSON.stringify(kept));
	const resumed = await runCli(['run', fixture('e2e/slow.yaml'), '--db', db, '--workers', '2']);
	t.is(resumed.code, 0, resumed.stderr);
	t.is(kept.length === 0 || /resumed from its checkpoint after epoch \d/.test(resumed.stdout), true, resumed.stdout);
});

test('a malformed sweep file is one line on stderr naming file and key, exit 1, and no database is created', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'never.db');
	const file = join(dir, 'typo.yaml');
	writeFileSync(file, readFileSync(fixture('e2e/tiny.yaml'), 'utf8').replace('learningRate: [0.001, 0.01]', 'learningRate: [0.001, -0.01]'));
	const result = await runCli(['run', file, '--db', db]);
	t.is(result.code, 1);
	t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
	t.regex(result.stderr, /^sweeplab: .*typo\.yaml: parameters\.learningRate\[1\]: /);
	t.false(existsSync(db));
	t.is(result.stdout, '');
});

test('reusing a sweep name with a different definition is refused without touching the stored sweep', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'names.db');
	const file = join(dir, 'tiny.yaml');
	writeFileSync(file, readFileSync(fixture('e2e/tiny.yaml'), 'utf8').replace('repeats: 2', 'repeats: 1').replace('epochs: 2', 'epochs: 1'));
	t.is((await runCli(['run', file, '--db', db])).code, 0);
	const changed = join(dir, 'changed.yaml');
	writeFileSync(changed, readFileSync(file, 'utf8').replace('epochs: 1', 'epochs: 3'));
	const result = await runCli(['run', changed, '--db', db]);
	t.is(result.code, 1);
	t.regex(result.stderr, /^sweeplab: .*tiny.*different definition/);
	t.is(query(db, 'SELECT * FROM trials').length, 2);
});

test('plan lists the expansion without training or creating a database', async t => {
	const db = join(tempDir(t), 'plan.db');
	const result = await runCli(['plan', fixture('e2e/tiny.yaml'), '--db', db, '--json']);
	t.is(result.code, 0, result.stderr);
	const plan = JSON.parse(result.stdout) as {trials: unknown[]; totalEpochs: number; paramCounts: number[]; trainingPaths: string[]};
	t.is(plan.trials.length, 4);
	t.is(plan.totalEpochs, 8);
	t.deepEqual(plan.paramCounts, [25_450, 25_450, 25_450, 25_450]);
	t.deepEqual(plan.trainingPaths, Array.from({length: 4}, () => (fusedKernelsAvailable() ? 'simd-fma' : 'simd')));
	t.false(existsSync(db));

	const table = await runCli(['plan', fixture('e2e/tiny.yaml')]);
	t.regex(table.stdout, /learningRate=0\.01 .*│ simd/);
	t.regex(table.stdout, /4 trials \(grid\), 8 epochs in all/);
});

test('usage errors and unknown commands exit 2 with a hint', async t => {
	const result = await runCli(['rnu']);
	t.is(result.code, 2);
	t.regex(result.stderr, /sweeplab: .*(Did you mean run|Unknown argument)/);
});
