import {join} from 'node:path';
import test from 'ava';
import {fixture, query, runCli, tempDir} from './helpers.js';

interface TrialRow {
	ordinal: number;
	state: string;
	config: string;
	epochs_run: number;
	stop_reason: string | null;
	error: string | null;
}

const search = fixture('sweeps/good/tpe-pruned.yaml');

test('a tpe sweep with an ASHA pruner and early stopping: trials suggested up to `trials`, pruned ones recorded with why', async t => {
	const db = join(tempDir(t), 'tpe.db');
	const result = await runCli(['run', search, '--db', db, '--workers', '2']);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /12 trials \(12 to train\)/);
	const trials = query<TrialRow>(db, 'SELECT * FROM trials ORDER BY ordinal');
	t.is(trials.length, 12);
	t.deepEqual(trials.map(trial => trial.ordinal), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
	t.true(trials.every(trial => ['completed', 'pruned'].includes(trial.state)), trials.map(trial => trial.state).join(','));
	const pruned = trials.filter(trial => trial.state === 'pruned');
	t.true(pruned.length > 0, 'ASHA pruned something');
	for (const trial of pruned) {
		t.regex(trial.stop_reason!, /rung epoch \d+ not in the top \d+ of \d+ trials/);
		t.is(trial.error, null);
		t.true(trial.epochs_run < 9);
		t.is(query<{n: number}>(db, 'SELECT count(*) AS n FROM epochs WHERE trial_id = (SELECT id FROM trials WHERE ordinal = ?)', trial.ordinal)[0].n, trial.epochs_run);
	}

	// Early stopping may fire at the last epoch too (as Keras's does: patience ran out there), so the check is that the
	// reason names the epoch the trial stopped at, within the 9 it had.
	for (const trial of trials.filter(trial => trial.stop_reason?.startsWith('early stopping'))) {
		t.is(trial.state, 'completed');
		t.regex(trial.stop_reason!, new RegExp(`^early stopping at epoch ${trial.epochs_run}:`));
		t.true(trial.epochs_run <= 9);
	}

	const configs = trials.map(trial => JSON.parse(trial.config) as {learningRate: number; hidden: number[]; activation: string});
	t.is(new Set(trials.map(trial => trial.config)).size, 12, 'no config suggested twice');
	t.true(configs.every(config => config.learningRate >= 1e-4 && config.learningRate <= 0.1 && ['relu', 'tanh'].includes(config.activation)));

	const again = await runCli(['run', search, '--db', db]);
	t.regex(again.stdout, /12 already finished, 0 to train/);
	t.is(query(db, 'SELECT * FROM trials').length, 12);
});

test('tpe is deterministic for a seed with one worker', async t => {
	const dir = tempDir(t);
	const runs = await Promise.all(['a', 'b'].map(async name => {
		const db = join(dir, `${name}.db`);
		const result = await runCli(['run', search, '--db', db, '--workers', '1']);
		t.is(result.code, 0, result.stderr);
		return query<{config: string; state: string; epochs_run: number}>(db, 'SELECT config, state, epochs_run FROM trials ORDER BY ordinal');
	}));
	t.deepEqual(runs[0], runs[1]);
});
