import {join} from 'node:path';
import test from 'ava';
import {openPostgresStore} from '../../src/store/postgres.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {loadSweepInput} from '../../src/cli/sweep-input.js';
import {admin, findTestPostgres, requirePostgres, schemas} from '../store/pg.js';
import {fixture, query, runCli, startCli, tempDir, type CliResult} from './helpers.js';

// Before any test is declared: ava starts running them once the file's first tick is over.
const found = await findTestPostgres();

test('a worker whose database is not there exits 1 at once with one line naming it (no password)', async t => {
	// A long reconnect limit: retrying is for a connection that was working, never for the first one.
	const result = await runCli(['worker', 'cluster', '--db', 'postgres://ann:s3cret@127.0.0.1:1/sweeps', '--reconnect-seconds', '300']);
	t.is(result.code, 1, result.stderr);
	t.regex(result.stderr, /^sweeplab: postgres:\/\/ann:\*\*\*@127\.0\.0\.1:1\/sweeps: connection refused by 127\.0\.0\.1:1/);
	t.false(result.stderr.includes('s3cret'));
	t.is(result.stderr.trim().split('\n').length, 1);
});

interface TrialRow {
	id: number;
	state: string;
	attempts: number;
	owner: string | null;
	host: string | null;
	cores: number | null;
	backend: string | null;
	epochs_run: number;
	config: string;
}

if (requirePostgres(test, found, 'sweeplab worker tests')) {
	const {url} = found;
	const names = schemas(url);
	test.after.always(async () => names.dropAll());

	/** Create the sweep of `file` in a fresh schema the way `sweeplab run` would, without training; returns the CLI's --db URL. */
	async function seedSweep(file: string): Promise<{db: string; schema: string}> {
		const schema = names.name('sweeplab_worker');
		const {definition, source, specs} = await loadSweepInput(file);
		const store = openPostgresStore(url, {schema});
		try {
			const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source, file});
			await store.addTrials(sweep.id, specs);
		} finally {
			await store.close();
		}

		return {db: await names.urlFor(schema), schema};
	}

	const trialsIn = async (schema: string) => admin<TrialRow>(url, `SELECT * FROM ${schema}.trials ORDER BY ordinal`);

	test('three workers on one sweep: every trial completed once; a killed worker\'s trial is reclaimed after its lease and completed by another', async t => {
		const {db, schema} = await seedSweep(fixture('pg/cluster.yaml'));
		const lease = 3;
		// Distinct host names, so the dead worker's trial can only come back through its lease expiring
		// (a worker requeues a dead process of its own host at once).
		const workers = ['host-a', 'host-b', 'host-c'].map(host => ({
			host,
			...startCli(['worker', 'cluster', '--db', db, '--workers', '1', '--lease-seconds', String(lease)], {SWEEPLAB_HOST: host}),
		}));
		t.teardown(() => {
			for (const {child} of workers) {
				child.kill('SIGKILL');
			}
		});

		// Kill the first worker seen in the middle of a trial: it has recorded an epoch but not finished.
		let victim: {host: string; trialId: number} | undefined;
		const deadline = Date.now() + 120_000;
		while (!victim && Date.now() < deadline) {
			const [running] = await admin<{id: number; owner: string}>(url, `SELECT id, owner FROM ${schema}.trials WHERE state = 'running' AND epochs_run >= 1 ORDER BY id LIMIT 1`);
			const worker = running && workers.find(each => running.owner === `${each.host}:${each.child.pid}`);
			if (worker) {
				worker.child.kill('SIGKILL');
				victim = {host: worker.host, trialId: running.id};
			} else {
				await new Promise(resolve => {
					setTimeout(resolve, 25);
				});
			}
		}

		t.truthy(victim, 'no worker was ever seen mid-trial');
		const results = await Promise.all(workers.map(async ({done}) => done));
		const survivors = workers.map((worker, index) => ({...worker, result: results[index]})).filter(worker => worker.host !== victim!.host);
		t.is(survivors.length, 2);
		for (const {result} of survivors) {
			t.is((result as CliResult).code, 0, result.stderr);
		}

		const trials = await trialsIn(schema);
		t.is(trials.length, 6);
		t.true(trials.every(trial => trial.state === 'completed'), JSON.stringify(trials.map(trial => trial.state)));
		const reclaimed = trials.find(trial => trial.id === victim!.trialId)!;
		t.is(reclaimed.attempts, 2);
		t.not(reclaimed.host, victim!.host);
		t.true(trials.filter(trial => trial.id !== victim!.trialId).every(trial => trial.attempts === 1));
		t.true(trials.every(trial => trial.host !== null && trial.backend !== null && (trial.cores ?? 0) >= 1));
		t.true(trials.every(trial => trial.epochs_run === 5));
		// Every epoch of every trial exactly once: the killed attempt's epochs were deleted on the reclaim.
		const epochs = await admin<{trial_id: number; n: number; first: number; last: number}>(
			url,
			`SELECT trial_id, count(*)::integer AS n, min(epoch) AS first, max(epoch) AS last FROM ${schema}.epochs GROUP BY trial_id ORDER BY trial_id`,
		);
		t.deepEqual(
			epochs.map(row => [row.n, row.first, row.last]),
			trials.map(() => [5, 1, 5]),
		);
		t.is(new Set(trials.map(trial => trial.host)).size >= 2, true, 'the survivors shared the work');

		// best reads PostgreSQL directly; export --to copies the sweep into SQLite, where best gives the same answer.
		const onPostgres = await runCli(['best', 'cluster', '--db', db, '--json']);
		t.is(onPostgres.code, 0, onPostgres.stderr);
		const file = join(tempDir(t), 'results.db');
		const exported = await runCli(['export', 'cluster', '--db', db, '--to', file]);
		t.is(exported.code, 0, exported.stderr);
		t.regex(exported.stderr, /copied sweep 'cluster' \(6 trials, 30 epochs, 0 checkpoints and kept weights\)/);
		const onSqlite = await runCli(['best', 'cluster', '--db', file, '--json']);
		t.is(onSqlite.code, 0, onSqlite.stderr);
		t.deepEqual(JSON.parse(onSqlite.stdout), JSON.parse(onPostgres.stdout));
		t.deepEqual(
			query<{host: string; attempts: number}>(file, 'SELECT host, attempts FROM trials ORDER BY ordinal'),
			trials.map(trial => ({host: trial.host!, attempts: trial.attempts})),
		);
	});

	test('a worker on another host takes over a killed worker\'s trial from its checkpoint and ends with the epochs of an uninterrupted run', async t => {
		const {db, schema} = await seedSweep(fixture('pg/takeover.yaml'));
		const reference = join(tempDir(t), 'reference.db');
		const uninterrupted = await runCli(['run', fixture('pg/takeover.yaml'), '--db', reference, '--workers', '1']);
		t.is(uninterrupted.code, 0, uninterrupted.stderr);

		const first = startCli(['worker', 'takeover', '--db', db, '--workers', '1', '--lease-seconds', '3'], {SWEEPLAB_HOST: 'host-a'});
		t.teardown(() => first.child.kill('SIGKILL'));
		// Kill it once its first trial has a checkpoint after its second epoch.
		let victim: number | undefined;
		const deadline = Date.now() + 120_000;
		while (victim === undefined && Date.now() < deadline) {
			const [held] = await admin<{trial_id: number}>(url, `SELECT c.trial_id FROM ${schema}.checkpoints c JOIN ${schema}.trials t ON t.id = c.trial_id WHERE t.state = 'running' AND c.epoch >= 2`);
			if (held) {
				first.child.kill('SIGKILL');
				victim = held.trial_id;
			} else {
				await new Promise(resolve => {
					setTimeout(resolve, 25);
				});
			}
		}

		t.truthy(victim, 'the worker was never seen with a checkpoint');
		await first.done;
		const second = await runCli(['worker', 'takeover', '--db', db, '--workers', '1', '--lease-seconds', '3'], {SWEEPLAB_HOST: 'host-b'});
		t.is(second.code, 0, second.stderr);
		t.regex(second.stdout, /trial #\d resumed from its checkpoint after epoch [2-6]/);
		const trials = await trialsIn(schema);
		t.true(trials.every(trial => trial.state === 'completed'));
		t.like(trials.find(trial => trial.id === victim), {attempts: 2, host: 'host-b'});
		const exact = (rows: Array<Record<string, unknown>>) => rows.map(row => JSON.stringify(Object.values(row).map(value => (typeof value === 'number' ? Buffer.from(Float64Array.of(value).buffer).toString('hex') : value))));
		const epochsSql = (prefix: string) => `SELECT t.ordinal, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy FROM ${prefix}epochs e JOIN ${prefix}trials t ON t.id = e.trial_id ORDER BY t.ordinal, e.epoch`;
		t.deepEqual(exact(await admin(url, epochsSql(`${schema}.`))), exact(query(reference, epochsSql(''))));
		const outcomeSql = (prefix: string) => `SELECT ordinal, test_loss, test_accuracy FROM ${prefix}trials ORDER BY ordinal`;
		t.deepEqual(exact(await admin(url, outcomeSql(`${schema}.`))), exact(query(reference, outcomeSql(''))));
		t.deepEqual(await admin(url, `SELECT trial_id FROM ${schema}.checkpoints`), []);
	});

	test('worker names the sweeps the database has when asked for another, exit 2', async t => {
		const {db} = await seedSweep(fixture('pg/cluster.yaml'));
		const result = await runCli(['worker', 'nope', '--db', db]);
		t.is(result.code, 2, result.stderr);
		t.regex(result.stderr, /no sweep named "nope" in postgres:\/\/.*it has: cluster/);
		t.false(result.stderr.includes(':sweeplab@'), 'the password is not printed');
	});
}
