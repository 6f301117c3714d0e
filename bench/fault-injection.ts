/**
 * Fault injection: runs a small real sweep, SIGKILLs `sweeplab run` at random moments (at least 10 times),
 * resumes each time, then checks against an uninterrupted run of the same sweep file: every trial completed
 * exactly once, no epoch lost or duplicated, and the same metrics (training is deterministic per seed).
 * It does so twice, with the same kill moments: with a checkpoint after every epoch (`checkpoint: {everyEpochs: 1}`)
 * and without checkpoints (`checkpoint: false`), and reports for each how many recorded epochs were trained
 * again because a kill threw them away (an insert log on the steps table counts every epoch ever stored).
 *
 *   npm run bench:faults [-- --kills 10 --seed 1]
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {openSqliteStore} from '../src/store/sqlite.js';
import {createRng, type Rng} from '../src/util/random.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const sweepFile = join(root, 'bench/sweeps/faults.yaml');
const argument = (name: string, fallback: number) => {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : Number(process.argv[index + 1]);
};

const kills = argument('kills', 10);
const seed = argument('seed', 1);
const dir = mkdtempSync(join(tmpdir(), 'sweeplab-faults-'));

/** The bench's sweep file with a checkpoint policy of its own (a run policy: the trials and their hash stay the same). */
function variant(name: string, policy: string): string {
	const path = join(dir, `${name}.yaml`);
	writeFileSync(path, `${readFileSync(sweepFile, 'utf8')}\ncheckpoint: ${policy}\n`);
	return path;
}

/**
 * One `sweeplab run`, SIGKILLed `kill.afterMs` after it starts or, with `kill.afterOwnEpoch`, after it has stored
 * an epoch of its own (so that it dies with training in flight rather than while loading tfjs).
 */
function run(sweep: string, db: string, kill?: {afterMs: number; afterOwnEpoch: boolean}): Promise<{code: number | null; signal: string | null}> {
	return new Promise(resolve => {
		const child = spawn(process.execPath, [cli, 'run', sweep, '--db', db, '--workers', '2'], {stdio: 'ignore'});
		let timer: NodeJS.Timeout | undefined;
		if (kill && !kill.afterOwnEpoch) {
			timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
		} else if (kill) {
			const before = count(db, 'SELECT count(*) AS n FROM epoch_log');
			timer = setInterval(() => {
				if (count(db, 'SELECT count(*) AS n FROM epoch_log') > before) {
					clearInterval(timer);
					timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
				}
			}, 50);
		}

		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal});
		});
	});
}

interface Row {ordinal: number; state: string; test_accuracy: number; epochs: string}

function results(db: string): Row[] {
	const database = new Database(db, {readonly: true});
	try {
		return database.prepare(`SELECT t.ordinal, t.state, t.test_accuracy,
			(SELECT json_group_array(json_array(e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy)) FROM (SELECT * FROM epochs WHERE trial_id = t.id ORDER BY epoch) e) AS epochs
			FROM trials t ORDER BY t.ordinal`).all() as Row[];
	} finally {
		database.close();
	}
}

function count(db: string, sql: string): number {
	const database = new Database(db, {readonly: true});
	try {
		return (database.prepare(sql).get() as {n: number}).n;
	} finally {
		database.close();
	}
}

/** A new database with an insert log on steps beside sweeplab's tables (the store never reads it). */
async function loggedDatabase(path: string): Promise<string> {
	await openSqliteStore(path).close();
	const database = new Database(path);
	try {
		database.exec(`CREATE TABLE epoch_log (trial_id INTEGER, epoch INTEGER);
			CREATE TRIGGER epoch_logged AFTER INSERT ON steps BEGIN INSERT INTO epoch_log VALUES (NEW.trial_id, NEW.step); END;`);
	} finally {
		database.close();
	}

	return path;
}

/** Kill and resume the sweep `kills` times at the rng's moments, then finish it and compare with the reference. */
async function scenario(label: string, sweep: string, expected: Row[], referenceSeconds: number, rng: Rng): Promise<boolean> {
	const faulty = await loggedDatabase(join(dir, `${label}.db`));
	let killed = 0;
	let resumes = 0;
	while (killed < kills) {
		// Kill at a random moment from start-up (tfjs and data loading) to about a sixth of a whole run, every other
		// time counted from the run's first stored epoch, so kills land in start-up, mid-epoch, between epochs and
		// between trials, and ten fit in one sweep.
		const afterOwnEpoch = killed % 2 === 1;
		const outcome = await run(sweep, faulty, {afterMs: (afterOwnEpoch ? 0 : 500) + (rng.next() * referenceSeconds * 1000 / 6), afterOwnEpoch});
		resumes++;
		if (outcome.signal !== 'SIGKILL') {
			break; // The sweep finished before the kill: no more work to interrupt.
		}

		killed++;
	}

	const final = await run(sweep, faulty);
	resumes++;
	const actual = results(faulty);
	const duplicates = count(faulty, 'SELECT count(*) AS n FROM (SELECT trial_id, epoch FROM epochs GROUP BY trial_id, epoch HAVING count(*) > 1)');
	const incomplete = actual.filter(row => row.state !== 'completed').length;
	const mismatched = expected.filter((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i])).length;
	const epochRows = count(faulty, 'SELECT count(*) AS n FROM epochs');
	const retrained = count(faulty, 'SELECT count(*) AS n FROM epoch_log') - epochRows;
	console.log(`${label}: kills=${killed} runs=${resumes} final_exit=${final.code} trials=${actual.length} epochs=${epochRows} epochs_retrained=${retrained} not_completed=${incomplete} duplicates=${duplicates} mismatched_trials=${mismatched}`);
	if (killed < kills) {
		console.log(`only ${killed} of ${kills} kills landed before the sweep finished; lower --kills or lengthen bench/sweeps/faults.yaml`);
	}

	return !(killed < kills || final.code !== 0 || incomplete > 0 || duplicates > 0 || mismatched > 0 || actual.length !== expected.length);
}

try {
	const reference = join(dir, 'reference.db');
	const started = performance.now();
	await run(variant('reference', 'false'), reference);
	const referenceSeconds = (performance.now() - started) / 1000;
	const expected = results(reference);
	console.log(`reference run: ${expected.length} trials in ${referenceSeconds.toFixed(1)} s; kill moments from seed ${seed}, the same for both runs below`);
	const withCheckpoints = await scenario('checkpoints', variant('checkpoints', '{everyEpochs: 1}'), expected, referenceSeconds, createRng(seed));
	const without = await scenario('no-checkpoints', variant('no-checkpoints', 'false'), expected, referenceSeconds, createRng(seed));
	if (!withCheckpoints || !without) {
		process.exitCode = 1;
	}
} finally {
	rmSync(dir, {recursive: true, force: true});
}
