import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import {createRng} from '../../src/util/random.js';
import {fixture, killAtRandomMoments, query, runCli, startCli, tempDir, waitFor} from './helpers.js';

const SWEEP = fixture('e2e/module-resume.yaml');

/** Every step's metrics (wall seconds aside) and every trial's outcome, as exact text: SQLite REALs are doubles, kept bit for bit. */
function results(db: string): {steps: string[]; trials: string[]} {
	const exact = (row: Record<string, unknown>) => JSON.stringify(Object.values(row).map(value => (typeof value === 'number' ? Buffer.from(Float64Array.of(value).buffer).toString('hex') : value)));
	return {
		steps: query<Record<string, unknown>>(db, 'SELECT t.ordinal, s.step, m.name, m.value FROM steps s JOIN trials t ON t.id = s.trial_id JOIN metrics m ON m.step_id = s.id ORDER BY t.ordinal, s.step, m.name').map(exact),
		trials: query<Record<string, unknown>>(db, 'SELECT ordinal, state, epochs_run, error, stop_reason FROM trials ORDER BY ordinal').map(exact),
	};
}

// One uninterrupted run, the reference every test here ends with.
let reference: Promise<{steps: string[]; trials: string[]}> | undefined;
async function referenceResults(dir: string) {
	reference ??= (async () => {
		const db = join(dir, 'reference.db');
		const result = await runCli(['run', SWEEP, '--db', db, '--workers', '2']);
		if (result.code !== 0) {
			throw new Error(result.stderr);
		}

		return results(db);
	})();
	return reference;
}

const stepsStored = (db: string, ordinal?: number) => {
	try {
		return query<{n: number}>(db, `SELECT count(*) AS n FROM steps s JOIN trials t ON t.id = s.trial_id${ordinal === undefined ? '' : ' WHERE t.ordinal = ?'}`, ...(ordinal === undefined ? [] : [ordinal]))[0].n;
	} catch {
		return 0;
	}
};

/** The sweep file with another checkpoint policy or objective (by absolute path), in `dir`. */
function sweepWith(dir: string, policy: string, objective = 'checkpointed.js'): string {
	const file = join(dir, `${objective}-${policy.replaceAll(/\W/g, '')}.yaml`);
	const text = readFileSync(SWEEP, 'utf8')
		.replace('../objectives/checkpointed.js', fixture(`objectives/${objective}`))
		.replace('checkpoint: {everyEpochs: 1}', `checkpoint: ${policy}`);
	writeFileSync(file, text);
	return file;
}

test('a module objective killed with SIGKILL at random moments resumes from trial.restore() and ends with every step of an uninterrupted run, bit for bit', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const db = join(dir, 'killed.db');
	// Seeded, so a failure can be replayed; the moments still land anywhere in a step, as real kills do.
	const rng = createRng(1515);
	const {kills, output} = await killAtRandomMoments(['run', SWEEP, '--db', db, '--workers', '2'], {
		stored: () => stepsStored(db),
		resumed: text => /trial #\d resumed from its checkpoint after step \d/.test(text),
		rng,
		windowMs: 1000,
		what: 'a step of this run',
	});
	t.true(kills >= 3, `killed ${kills} times`);
	t.regex(output, /trial #\d resumed from its checkpoint after step \d/, 'at least one trial continued from its checkpoint');
	const final = await runCli(['run', SWEEP, '--db', db, '--workers', '2']);
	t.is(final.code, 0, final.stderr);
	t.notRegex(output + final.stdout, /checkpoint ignored/);
	t.true(query<{attempts: number}>(db, 'SELECT attempts FROM trials').some(trial => trial.attempts > 1), 'some trial was claimed again');
	t.deepEqual(results(db), expected);
	t.deepEqual(query(db, 'SELECT trial_id FROM checkpoints'), [], 'finished trials keep no checkpoint');
});

test('Ctrl-C stores the state after the last reported step whatever the policy, and the resumed run retrains no step', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	// A policy that is never due within a trial: only the stop stores a checkpoint.
	const sweep = sweepWith(dir, '{everySeconds: 86400}');
	const db = join(dir, 'interrupted.db');
	const {child, done} = startCli(['run', sweep, '--db', db, '--workers', '2']);
	await waitFor(() => stepsStored(db, 0) >= 2 || child.exitCode !== null, 120_000, 'two steps of trial #0');
	child.kill('SIGINT');
	const interrupted = await done;
	t.is(interrupted.code, 130, interrupted.stderr);
	const stopped = query<{id: number; epochs_run: number}>(db, `SELECT id, epochs_run FROM trials WHERE state = 'interrupted' ORDER BY id`);
	t.true(stopped.length > 0);
	t.deepEqual(query<{trial_id: number; epoch: number}>(db, `SELECT trial_id, epoch FROM checkpoints WHERE kind = 'resume' ORDER BY trial_id`), stopped.map(trial => ({trial_id: trial.id, epoch: trial.epochs_run})));

	const resumed = await runCli(['run', sweep, '--db', db, '--workers', '2']);
	t.is(resumed.code, 0, resumed.stderr);
	for (const trial of query<{ordinal: number; id: number}>(db, 'SELECT ordinal, id FROM trials')) {
		const before = stopped.find(candidate => candidate.id === trial.id);
		if (before && before.epochs_run > 0) {
			t.regex(resumed.stdout, new RegExp(`trial #${trial.ordinal} resumed from its checkpoint after step ${before.epochs_run}\\b`));
		}
	}

	t.deepEqual(results(db), expected);
});

test('a damaged checkpoint, and one the objective does not restore, are dropped with a warning: the trial trains from step 1 to the same steps', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const killedAfter = async (sweep: string, db: string) => {
		const {child, done} = startCli(['run', sweep, '--db', db, '--workers', '1']);
		await waitFor(() => stepsStored(db, 0) >= 3 || child.exitCode !== null, 120_000, 'three steps of trial #0');
		child.kill('SIGKILL');
		await done;
		t.true(query<{epoch: number}>(db, `SELECT epoch FROM checkpoints WHERE kind = 'resume'`)[0].epoch >= 2);
	};

	const damaged = join(dir, 'damaged.db');
	await killedAfter(SWEEP, damaged);
	const raw = new Database(damaged);
	raw.prepare(`UPDATE checkpoints SET data = substr(data, 1, length(data) - 100) WHERE kind = 'resume'`).run();
	raw.close();
	const afterDamage = await runCli(['run', SWEEP, '--db', damaged, '--workers', '1']);
	t.is(afterDamage.code, 0, afterDamage.stderr);
	t.regex(afterDamage.stdout, /trial #0: checkpoint ignored, training from step 1: checkpoint is truncated or padded/);
	t.notRegex(afterDamage.stdout, /resumed/);
	t.deepEqual(results(damaged), expected);

	// The same objective behind a Trial whose restore() it never reaches: the steps it reports again replace the kept ones.
	const ignoring = sweepWith(dir, '{everyEpochs: 1}', 'no-restore.js');
	const ignored = join(dir, 'ignored.db');
	await killedAfter(ignoring, ignored);
	const afterIgnore = await runCli(['run', ignoring, '--db', ignored, '--workers', '1']);
	t.is(afterIgnore.code, 0, afterIgnore.stderr);
	t.regex(afterIgnore.stdout, /trial #0: checkpoint ignored, training from step 1: the objective did not call trial\.restore\(\)/);
	t.deepEqual(results(ignored), expected);
	t.deepEqual(query(ignored, 'SELECT * FROM checkpoints'), []);
});

test('checkpoint: false stores no checkpoint of a module objective; a killed trial reruns from step 1 to the same steps', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const sweep = sweepWith(dir, 'false');
	const db = join(dir, 'off.db');
	const {child, done} = startCli(['run', sweep, '--db', db, '--workers', '1']);
	await waitFor(() => stepsStored(db, 0) >= 3 || child.exitCode !== null, 120_000, 'three steps of trial #0');
	t.deepEqual(query(db, 'SELECT trial_id FROM checkpoints'), []);
	child.kill('SIGKILL');
	await done;
	const rerun = await runCli(['run', sweep, '--db', db, '--workers', '1']);
	t.is(rerun.code, 0, rerun.stderr);
	t.notRegex(rerun.stdout, /resumed from its checkpoint|checkpoint ignored/);
	t.deepEqual(results(db), expected);
});

test('another trial\'s checkpoint is refused with a warning: both trials train from step 1 to the same steps', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const db = join(dir, 'swapped.db');
	const {child, done} = startCli(['run', SWEEP, '--db', db, '--workers', '2']);
	const checkpointed = () => query<{n: number}>(db, `SELECT count(*) AS n FROM checkpoints c JOIN trials t ON t.id = c.trial_id WHERE t.state = 'running'`)[0].n;
	await waitFor(() => (stepsStored(db) > 0 && checkpointed() === 2) || child.exitCode !== null, 120_000, 'checkpoints of two running trials');
	child.kill('SIGKILL');
	await done;
	// Each running trial gets the other's checkpoint, as a copy between databases gone wrong would give.
	const raw = new Database(db);
	const rows = raw.prepare(`SELECT trial_id, data FROM checkpoints WHERE kind = 'resume' ORDER BY trial_id`).all() as Array<{trial_id: number; data: Buffer}>;
	t.is(rows.length, 2);
	const update = raw.prepare(`UPDATE checkpoints SET data = ? WHERE trial_id = ? AND kind = 'resume'`);
	update.run(rows[1].data, rows[0].trial_id);
	update.run(rows[0].data, rows[1].trial_id);
	raw.close();

	const resumed = await runCli(['run', SWEEP, '--db', db, '--workers', '2']);
	t.is(resumed.code, 0, resumed.stderr);
	t.is(resumed.stdout.match(/checkpoint ignored, training from step 1: checkpoint belongs to another trial/g)?.length, 2, resumed.stdout);
	t.notRegex(resumed.stdout, /resumed from its checkpoint/);
	t.deepEqual(results(db), expected);
});

test('a checkpoint that cannot be stored (a full disk) turns a module trial\'s checkpoints off with a warning; it trains on and later resumes from the last good one', async t => {
	const dir = tempDir(t);
	const expected = await referenceResults(dir);
	const db = join(dir, 'full.db');
	const env = {SWEEPLAB_FAILPOINT: 'checkpoint-full:2'};
	const {child, done} = startCli(['run', SWEEP, '--db', db, '--workers', '1'], env);
	await waitFor(() => stepsStored(db, 0) >= 4 || child.exitCode !== null, 120_000, 'four steps of trial #0');
	child.kill('SIGKILL');
	const killed = await done;
	t.regex(killed.stdout, /trial #0: checkpoints off for this attempt: storing the resume checkpoint after epoch 2 failed \(disk is full \(injected/);
	t.deepEqual(query(db, 'SELECT kind, epoch FROM checkpoints'), [{kind: 'resume', epoch: 1}], 'the last good checkpoint');
	t.deepEqual(query(db, 'PRAGMA integrity_check'), [{integrity_check: 'ok'}]);

	const resumed = await runCli(['run', SWEEP, '--db', db, '--workers', '1']);
	t.is(resumed.code, 0, resumed.stderr);
	t.regex(resumed.stdout, /trial #0 resumed from its checkpoint after step 1\b/);
	t.deepEqual(results(db), expected);
});
