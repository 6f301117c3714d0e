import {join} from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import {fixture, query, runCli, startCli, tempDir, waitFor} from './helpers.js';

const SWEEP = fixture('e2e/resume.yaml');

/** Every epoch's metrics and every trial's outcome as exact text (SQLite REALs are doubles). */
function results(db: string): {epochs: unknown[]; trials: unknown[]} {
	const exact = (row: Record<string, unknown>) => JSON.stringify(Object.values(row).map(value => (typeof value === 'number' ? Buffer.from(Float64Array.of(value).buffer).toString('hex') : value)));
	return {
		epochs: query<Record<string, unknown>>(db, 'SELECT t.ordinal, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.ordinal, e.epoch').map(exact),
		trials: query<Record<string, unknown>>(db, 'SELECT ordinal, state, epochs_run, test_loss, test_accuracy, stop_reason FROM trials ORDER BY ordinal').map(exact),
	};
}

// One uninterrupted run, the reference both tests end with.
let reference: Promise<{epochs: unknown[]; trials: unknown[]}> | undefined;
async function referenceResults(dir: string) {
	reference ??= (async () => {
		const db = join(dir, 'reference.db');
		const result = await runCli(['run', SWEEP, '--db', db, '--workers', '1']);
		if (result.code !== 0) {
			throw new Error(result.stderr);
		}

		return results(db);
	})();
	return reference;
}

/** Start a run that stops (SIGKILL) once trial #`ordinal` has `epochs` epochs stored; returns its output. */
async function killedAfter(db: string, ordinal: number, epochs: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
	const stored = () => {
		try {
			return query<{n: number}>(db, 'SELECT count(*) AS n FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.ordinal = ?', ordinal)[0].n;
		} catch {
			return 0;
		}
	};

	const {child, done} = startCli(['run', SWEEP, '--db', db, '--workers', '1'], env);
	await waitFor(() => stored() >= epochs || child.exitCode !== null, 120_000, `${epochs} epochs of trial #${ordinal}`);
	child.kill('SIGKILL');
	return (await done).stdout;
}

test.serial('a checkpoint that cannot be stored (a full disk) turns checkpoints off with a warning; the trial goes on and later resumes from the last good one', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const db = join(dir, 'full.db');
	// The checkpoint after epoch 2 fails: epoch 1's stays the newest, and training goes on past it. Trial #1 runs all
	// 6 epochs (#0 stops early at its 4th), so the kill finds it running.
	await killedAfter(db, 1, 4, {SWEEPLAB_FAILPOINT: 'checkpoint-full:2'});
	const [trial] = query<{state: string; epochs_run: number}>(db, 'SELECT state, epochs_run FROM trials WHERE ordinal = 1');
	t.like(trial, {state: 'running'});
	t.true(trial.epochs_run >= 4);
	t.deepEqual(query(db, 'SELECT kind, epoch FROM checkpoints'), [{kind: 'resume', epoch: 1}], 'the last good checkpoint, not a half-written one');
	t.deepEqual(query(db, 'PRAGMA integrity_check'), [{integrity_check: 'ok'}]);

	const resumed = await runCli(['run', SWEEP, '--db', db, '--workers', '1']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /trial #1 resumed from its checkpoint after epoch 1/);
	t.deepEqual(results(db), expected);

	// The warning, on a run that is not killed: the trial completes all the same.
	const warned = join(dir, 'warned.db');
	const full = await runCli(['run', SWEEP, '--db', warned, '--workers', '1'], {SWEEPLAB_FAILPOINT: 'checkpoint-full:2'});
	t.is(full.code, 0, full.stderr);
	t.regex(full.stdout, /trial #\d: checkpoints off for this attempt: storing the resume checkpoint after epoch 2 failed \(disk is full \(injected/);
	t.deepEqual(results(warned), expected);
});

test.serial('a damaged checkpoint in the database is ignored with a warning: its trial trains from epoch 1 and ends as the uninterrupted run', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const db = join(dir, 'damaged.db');
	// Trial #1 runs all 6 epochs: the kill finds it running with checkpoints stored.
	await killedAfter(db, 1, 3);
	const [checkpoint] = query<{epoch: number}>(db, `SELECT epoch FROM checkpoints WHERE kind = 'resume'`);
	t.true(checkpoint.epoch >= 2);
	const raw = new Database(db);
	raw.prepare(`UPDATE checkpoints SET data = substr(data, 1, length(data) - 1000) WHERE kind = 'resume'`).run();
	raw.close();

	const resumed = await runCli(['run', SWEEP, '--db', db, '--workers', '1']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /trial #1: checkpoint ignored, training from epoch 1: checkpoint is truncated or padded/);
	t.notRegex(resumed.stdout, /trial #1 resumed/);
	t.deepEqual(results(db), expected);
	t.deepEqual(query(db, 'SELECT * FROM checkpoints'), []);
});
