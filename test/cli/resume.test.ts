import {join} from 'node:path';
import test from 'ava';
import {createRng} from '../../src/util/random.js';
import {fixture, killAtRandomMoments, query, runCli, tempDir} from './helpers.js';

interface Row {
	ordinal: number;
	[column: string]: unknown;
}

/** Every epoch's metrics (wall seconds aside) and every trial's outcome, as exact text: SQLite REALs are doubles, kept bit for bit. */
function results(db: string): {epochs: string[]; trials: string[]} {
	const epochs = query<Row>(db, `SELECT t.ordinal, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.ordinal, e.epoch`);
	const trials = query<Row>(db, 'SELECT ordinal, state, epochs_run, test_loss, test_accuracy, stop_reason FROM trials ORDER BY ordinal');
	const exact = (row: Row) => JSON.stringify(Object.values(row).map(value => (typeof value === 'number' ? Buffer.from(Float64Array.of(value).buffer).toString('hex') : value)));
	return {epochs: epochs.map(exact), trials: trials.map(exact)};
}

test('a sweep killed with SIGKILL at random moments resumes its trials from their checkpoints and ends with every epoch of an uninterrupted run, bit for bit', async t => {
	const dir = tempDir(t);
	const reference = join(dir, 'reference.db');
	const uninterrupted = await runCli(['run', fixture('e2e/resume.yaml'), '--db', reference, '--workers', '2']);
	t.is(uninterrupted.code, 0, uninterrupted.stderr);

	const db = join(dir, 'killed.db');
	const epochsStored = () => {
		try {
			return query<{n: number}>(db, 'SELECT count(*) AS n FROM epochs')[0].n;
		} catch {
			return 0;
		}
	};

	// Seeded, so a failure can be replayed; the moments still land anywhere in an epoch, as real kills do.
	const rng = createRng(2026);
	const {kills, output} = await killAtRandomMoments(['run', fixture('e2e/resume.yaml'), '--db', db, '--workers', '2'], {
		stored: epochsStored,
		resumed: text => /resumed from its checkpoint after epoch \d/.test(text),
		rng,
		windowMs: 1500,
		what: 'an epoch of this run',
	});
	t.true(kills >= 3, `killed ${kills} times`);
	t.regex(output, /resumed from its checkpoint after epoch \d/, 'at least one trial continued from a checkpoint');
	const final = await runCli(['run', fixture('e2e/resume.yaml'), '--db', db, '--workers', '2']);
	t.is(final.code, 0, final.stderr);
	t.true(query<{attempts: number}>(db, 'SELECT attempts FROM trials').some(trial => trial.attempts > 1), 'some trial was claimed again');

	const expected = results(reference);
	const actual = results(db);
	t.deepEqual(actual.trials, expected.trials);
	t.deepEqual(actual.epochs, expected.epochs);
	t.deepEqual(query(db, 'SELECT trial_id FROM checkpoints'), [], 'finished trials keep no resume checkpoint');
});
