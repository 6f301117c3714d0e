/**
 * Fault injection: runs a small real sweep, SIGKILLs `sweeplab run` at random moments (at least 10 times),
 * resumes each time, then checks against an uninterrupted run of the same sweep file: every trial completed
 * exactly once, no epoch lost or duplicated, and the same metrics (training is deterministic per seed).
 *
 *   npm run bench:faults [-- --kills 10 --seed 1]
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {createRng} from '../src/util/random.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const sweep = join(root, 'bench/sweeps/faults.yaml');
const argument = (name: string, fallback: number) => {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : Number(process.argv[index + 1]);
};

const kills = argument('kills', 10);
const rng = createRng(argument('seed', 1));
const dir = mkdtempSync(join(tmpdir(), 'sweeplab-faults-'));

function run(db: string, killAfterMs?: number): Promise<{code: number | null; signal: string | null}> {
	return new Promise(resolve => {
		const child = spawn(process.execPath, [cli, 'run', sweep, '--db', db, '--workers', '2'], {stdio: 'ignore'});
		const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
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

try {
	const reference = join(dir, 'reference.db');
	const started = performance.now();
	await run(reference);
	const referenceSeconds = (performance.now() - started) / 1000;

	const faulty = join(dir, 'faulty.db');
	let killed = 0;
	let resumes = 0;
	while (killed < kills) {
		// Kill at a random moment from start-up (tfjs and data loading) to about a sixth of a whole run, so
		// kills land in start-up, mid-epoch, between epochs and between trials, and ten fit in one sweep.
		const outcome = await run(faulty, 500 + (rng.next() * referenceSeconds * 1000 / 6));
		resumes++;
		if (outcome.signal !== 'SIGKILL') {
			break; // The sweep finished before the kill: no more work to interrupt.
		}

		killed++;
	}

	const final = await run(faulty);
	resumes++;
	const expected = results(reference);
	const actual = results(faulty);
	const duplicates = count(faulty, 'SELECT count(*) AS n FROM (SELECT trial_id, epoch FROM epochs GROUP BY trial_id, epoch HAVING count(*) > 1)');
	const incomplete = actual.filter(row => row.state !== 'completed').length;
	const mismatched = expected.filter((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i])).length;
	const epochRows = count(faulty, 'SELECT count(*) AS n FROM epochs');
	console.log(`reference run: ${expected.length} trials in ${referenceSeconds.toFixed(1)} s`);
	console.log(`kills=${killed} runs=${resumes} final_exit=${final.code} trials=${actual.length} epochs=${epochRows} not_completed=${incomplete} duplicates=${duplicates} mismatched_trials=${mismatched}`);
	if (killed < kills) {
		console.log(`only ${killed} of ${kills} kills landed before the sweep finished; lower --kills or lengthen bench/sweeps/faults.yaml`);
	}

	if (killed < kills || final.code !== 0 || incomplete > 0 || duplicates > 0 || mismatched > 0 || actual.length !== expected.length) {
		process.exitCode = 1;
	}
} finally {
	rmSync(dir, {recursive: true, force: true});
}
