import {spawn} from 'node:child_process';
import {chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import Database from 'better-sqlite3';
import {StoreError} from '../../src/errors.js';
import {SCHEMA_VERSION, openSqliteStore} from '../../src/store/sqlite.js';
import type {SqliteStoreOptions} from '../../src/store/sqlite.js';
import {LeaseLostError} from '../../src/store/store.js';
import {configRows, leaderboard, needsReplay, stepsByTrial} from '../../src/report/leaderboard.js';
import {epochStep, sweepMetric} from '../../src/types.js';
import {LONG_LEASE, OWNER_A, OWNER_B, epochRecord, epochsOf, stepRecord, storeContract, sweepInput, trialSpecs} from './contract.js';
import {assertV1Rows, V1_ROWS, v1Schema} from './v1.js';

const CHILD = fileURLToPath(new URL('child.js', import.meta.url));

function tempDir(t?: ExecutionContext): string {
	const directory = mkdtempSync(join(tmpdir(), 'sweeplab-store-'));
	t?.teardown(() => {
		rmSync(directory, {recursive: true, force: true});
	});
	return directory;
}

const contractRoot = tempDir();
test.after.always(() => {
	rmSync(contractRoot, {recursive: true, force: true});
});
let contractFiles = 0;
storeContract(test, async () => openSqliteStore(join(contractRoot, `contract-${contractFiles++}.db`)));

function openIn(t: ExecutionContext, path: string, options?: SqliteStoreOptions) {
	const store = openSqliteStore(path, options);
	t.teardown(async () => store.close());
	return store;
}

function raw(t: ExecutionContext, path: string): Database.Database {
	const db = new Database(path);
	t.teardown(() => {
		db.close();
	});
	return db;
}

/** A clock the test moves by hand, so lease expiry needs no waiting. */
function manualClock(start: number) {
	const clock = {ms: start, now: () => clock.ms};
	return clock;
}

async function runChild(args: string[], options: {uid?: number; gid?: number} = {}) {
	const child = spawn(process.execPath, [CHILD, ...args], {...options, stdio: ['pipe', 'pipe', 'inherit']});
	let output = '';
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (chunk: string) => {
		output += chunk;
	});
	const exit = new Promise<number | null>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', resolve);
	});
	return {child, output: () => output, exit};
}

test('creates missing parent directories, turns WAL on and records the schema version', async (t) => {
	const path = join(tempDir(t), 'nested', 'deeper', 'sweeps.db');
	const store = openIn(t, path);
	t.is(store.schemaVersion, SCHEMA_VERSION);
	t.true(existsSync(path));
	const db = raw(t, path);
	t.is(db.pragma('journal_mode', {simple: true}), 'wal');
	t.is(db.pragma('user_version', {simple: true}), SCHEMA_VERSION);
	t.deepEqual(
		db
			.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name`)
			.all()
			.map((row) => (row as {name: string}).name),
		['checkpoints', 'epochs', 'leaderboard', 'metrics', 'pareto', 'steps', 'sweep_metric', 'sweeps', 'trial_outcome', 'trial_summary', 'trials', 'trials_claim', 'trials_claimable', 'trials_config_state'],
	);
});

test('reopening a database keeps its sweeps and does not migrate again', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const first = openSqliteStore(path);
	const sweep = await first.openSweep(sweepInput('widths'));
	await first.addTrials(sweep.id, trialSpecs(2));
	await first.close();
	const second = openIn(t, path);
	t.deepEqual(await second.getSweep('widths'), sweep);
	t.is((await second.trials(sweep.id)).length, 2);
});

test(':memory: works', async (t) => {
	const store = openIn(t, ':memory:');
	const sweep = await store.openSweep(sweepInput('widths'));
	t.is(await store.addTrials(sweep.id, trialSpecs(2)), 2);
	t.is((await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))?.ordinal, 0);
});

test('a database the first release wrote (schema v1) upgrades to the schema a new one gets, its rows intact', async (t) => {
	const directory = tempDir(t);
	const old = join(directory, 'v1.db');
	const db = new Database(old);
	db.exec(v1Schema('sqlite'));
	db.exec(V1_ROWS);
	db.pragma('user_version = 1');
	db.close();
	const fresh = join(directory, 'fresh.db');
	await openSqliteStore(fresh).close();

	const store = openIn(t, old);
	t.is(store.schemaVersion, SCHEMA_VERSION);
	await assertV1Rows(t, store);
	const schema = (path: string) => raw(t, path).prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name').all();
	t.deepEqual(schema(old), schema(fresh));
	t.like(raw(t, old).prepare('SELECT * FROM leaderboard').get(), {sweep: 'widths', config_hash: 'c0', trials: 1, completed: 1, val_accuracy: 0.75});
});

test('a real v4 database (the study\'s, as committed before v7) upgrades with every epoch and report row as it was', async (t) => {
	const path = join(tempDir(t), 'study.db');
	copyFileSync(fileURLToPath(new URL('../../../test/fixtures/store/study-v4.db', import.meta.url)), path);
	const queries = {
		epochs: 'SELECT trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds FROM epochs ORDER BY trial_id, epoch',
		summary: `SELECT sweep, trial_id, state, epochs_run, final_loss, final_val_accuracy, best_val_accuracy, best_epoch, min_val_loss, test_accuracy,
			train_seconds, converged_epoch, seconds_to_best FROM trial_summary ORDER BY trial_id`,
		leaderboard: 'SELECT * FROM leaderboard ORDER BY sweep, config_hash',
		pareto: 'SELECT sweep, config_hash FROM pareto ORDER BY sweep, config_hash',
	};
	type Rows = Array<Record<string, unknown>>;
	const read = () => {
		const db = new Database(path, {readonly: true});
		try {
			const rows = Object.fromEntries(Object.entries(queries).map(([key, sql]) => [key, db.prepare(sql).all()])) as Record<keyof typeof queries, Rows>;
			return {version: db.pragma('user_version', {simple: true}) as number, ...rows};
		} finally {
			db.close();
		}
	};

	const before = read();
	t.is(before.version, 4);
	t.true(before.epochs.length > 1000);
	const store = openIn(t, path);
	t.is(store.schemaVersion, SCHEMA_VERSION);
	const after = read();
	t.deepEqual(after.epochs, before.epochs);
	t.deepEqual(after.summary, before.summary);
	t.deepEqual(after.pareto, before.pareto);
	// v5 adds the metric's columns to the leaderboard; for these val_accuracy sweeps they repeat val_accuracy.
	t.deepEqual(after.leaderboard.map(({metric: _m, goal: _g, value: _v, value_std: _s, ...row}) => row), before.leaderboard);
	t.true(after.leaderboard.every(row => row.metric === 'val_accuracy' && row.goal === 'maximize' && row.value === row.val_accuracy && row.value_std === row.val_accuracy_std));
	// Through the store: each epoch is a step with its four metrics and its seconds.
	let steps = 0;
	for (const {sweep} of await store.listSweeps()) {
		for (const step of await store.steps(sweep.id)) {
			steps++;
			t.deepEqual(Object.keys(step.metrics).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
			t.is(typeof step.seconds, 'number');
		}
	}

	t.is(steps, before.epochs.length);
	// v7's step summaries, worked out by the migration, rank every sweep as the leaderboard over its steps does.
	for (const {sweep} of await store.listSweeps()) {
		const metric = sweepMetric(sweep.definition);
		const [trials, summaries, all] = await Promise.all([store.trials(sweep.id), store.stepSummaries(sweep.id), store.steps(sweep.id)]);
		t.is(summaries.length, trials.length, sweep.name);
		const fromSteps = leaderboard(trials, all, metric);
		const replayed = stepsByTrial(all.filter(step => trials.some(trial => trial.id === step.trialId && needsReplay(trial))));
		const fromSummaries = configRows(trials, new Map(summaries.map(summary => [summary.trialId, summary])), metric, replayed);
		t.deepEqual(fromSummaries, fromSteps, sweep.name);
	}
});

test('refuses a database whose schema is newer than this code knows', async (t) => {
	const path = join(tempDir(t), 'future.db');
	await openSqliteStore(path).close();
	const db = new Database(path);
	db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
	db.close();
	const expected = `${path}: database schema v${SCHEMA_VERSION + 1} is newer than this sweeplab supports (v${SCHEMA_VERSION}); upgrade sweeplab`;
	t.is(t.throws(() => openSqliteStore(path), {instanceOf: StoreError})!.message, expected);
	t.is(t.throws(() => openSqliteStore(path, {readonly: true}), {instanceOf: StoreError})!.message, expected);
});

test('refuses a file that is not a database, naming it, and leaves it alone', async (t) => {
	const path = join(tempDir(t), 'notes.db');
	const text = 'name: widths\nthis is a sweep file, not a database, and it is long enough to fill a header.\n'.repeat(4);
	writeFileSync(path, text);
	const error = t.throws(() => openSqliteStore(path), {instanceOf: StoreError});
	t.true(error!.message.startsWith(`${path}: `));
	t.regex(error!.message, /not a SQLite database/);
	t.false(error!.message.includes('\n'));
	t.is(readFileSync(path, 'utf8'), text);
});

test('refuses to open a read-only file for writing, naming it', async (t) => {
	const directory = tempDir(t);
	const path = join(directory, 'sweeps.db');
	await openSqliteStore(path).close();
	chmodSync(path, 0o444);
	// Root writes through file modes, so the attempt runs as an unprivileged user there.
	chmodSync(directory, 0o777);
	const asRoot = process.getuid?.() === 0;
	// The unprivileged user must be able to reach the compiled code; a checkout under a root-only folder (mktemp -d)
	// hides it, and as root itself the file mode cannot be tested.
	if (asRoot && !reachableByOthers(fileURLToPath(new URL('.', import.meta.url)))) {
		t.log('skipped: the checkout is not reachable by an unprivileged user, and root writes through file modes');
		t.pass();
		return;
	}

	const run = await runChild(['open', path], asRoot ? {uid: 65_534, gid: 65_534} : {});
	t.is(await run.exit, 0);
	const result = JSON.parse(run.output()) as {ok: boolean; name?: string; message?: string};
	t.like(result, {ok: false, name: 'StoreError'});
	t.true(result.message!.startsWith(`${path}: `));
	t.regex(result.message!, /not writable/);
	chmodSync(path, 0o644);
	const store = openIn(t, path, {readonly: true});
	t.deepEqual(await store.listSweeps(), []);
});

test('readonly: reads work, writes reject with StoreError, a missing file is refused', async (t) => {
	const directory = tempDir(t);
	const path = join(directory, 'sweeps.db');
	const writer = openSqliteStore(path);
	const sweep = await writer.openSweep(sweepInput('widths'));
	await writer.addTrials(sweep.id, trialSpecs(1));
	await writer.close();

	const reader = openIn(t, path, {readonly: true});
	t.deepEqual(await reader.getSweep('widths'), sweep);
	await t.throwsAsync(reader.claimTrial(sweep.id, OWNER_A, LONG_LEASE), {instanceOf: StoreError, message: /read-only/});
	await t.throwsAsync(reader.openSweep(sweepInput('other')), {instanceOf: StoreError, message: /read-only/});
	t.is((await reader.trials(sweep.id))[0].state, 'pending');

	const missing = join(directory, 'missing.db');
	const error = t.throws(() => openSqliteStore(missing, {readonly: true}), {instanceOf: StoreError});
	t.true(error!.message.startsWith(`${missing}: `));
	t.false(existsSync(missing));
});

test('a write blocked past the busy timeout by another connection fails with a one-line StoreError', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openIn(t, path, {busyTimeoutMs: 50});
	const sweep = await store.openSweep(sweepInput('widths'));
	await store.addTrials(sweep.id, trialSpecs(1));
	const other = raw(t, path);
	other.exec('BEGIN IMMEDIATE');
	const error = await t.throwsAsync(store.claimTrial(sweep.id, OWNER_A, LONG_LEASE), {instanceOf: StoreError});
	t.true(error!.message.startsWith(`${path}: `));
	t.regex(error!.message, /locked/);
	t.false(error!.message.includes('\n'));
	t.is((await store.trials(sweep.id))[0].state, 'pending');
	other.exec('ROLLBACK');
	t.is((await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))?.state, 'running');
});

test('NaN and +/-Infinity survive a round-trip through the file: NaN as TEXT, infinities as REAL', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const writer = openSqliteStore(path);
	const sweep = await writer.openSweep(sweepInput('widths'));
	await writer.addTrials(sweep.id, trialSpecs(1));
	const trial = (await writer.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
	const epoch = epochRecord(1, {loss: Number.NaN, accuracy: Number.NEGATIVE_INFINITY, valLoss: Number.POSITIVE_INFINITY, valAccuracy: 0.25});
	await writer.recordStep(trial.id, OWNER_A, epochStep(epoch));
	await writer.finishTrial(trial.id, OWNER_A, {state: 'diverged', metrics: {test_loss: Number.NaN, test_accuracy: Number.NEGATIVE_INFINITY}});
	await writer.close();

	const db = raw(t, path);
	t.deepEqual(db.prepare('SELECT typeof(loss) AS loss, typeof(accuracy) AS accuracy, typeof(val_loss) AS valLoss FROM epochs').get(), {
		loss: 'text',
		accuracy: 'real',
		valLoss: 'real',
	});
	t.deepEqual(db.prepare('SELECT typeof(test_loss) AS testLoss, typeof(test_accuracy) AS testAccuracy, typeof(train_seconds) AS trainSeconds FROM trials').get(), {
		testLoss: 'text',
		testAccuracy: 'real',
		trainSeconds: 'null',
	});

	const reader = openIn(t, path);
	t.deepEqual(await epochsOf(reader, sweep.id), [{trialId: trial.id, ...epoch}]);
	const [after] = await reader.trials(sweep.id);
	t.true(Number.isNaN(after.testLoss));
	t.is(after.testAccuracy, Number.NEGATIVE_INFINITY);
	t.is(after.trainSeconds, null);
});

test('trial_summary has one row per trial and never takes NaN as a best value', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openIn(t, path);
	const sweep = await store.openSweep(sweepInput('widths'));
	await store.addTrials(sweep.id, trialSpecs(2));
	const trial = (await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
	await store.markStarted(trial.id, OWNER_A, {backend: 'cpu', trainingPath: 'fit', host: 'a', paramCount: 101_770});
	const valAccuracies = [0.5, Number.NaN, 0.7, 0.7, 0.6];
	const valLosses = [0.9, Number.NaN, 0.5, 0.4, 0.45];
	for (const [index, valAccuracy] of valAccuracies.entries()) {
		await store.recordStep(trial.id, OWNER_A, stepRecord(index + 1, {valAccuracy, valLoss: valLosses[index]}));
	}

	await store.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_loss: 0.5, test_accuracy: 0.8}, trainSeconds: 3});
	const rows = raw(t, path).prepare('SELECT * FROM trial_summary ORDER BY ordinal').all() as Array<Record<string, unknown>>;
	t.is(rows.length, 2);
	const last = epochRecord(5, {valAccuracy: 0.6, valLoss: 0.45});
	t.like(rows[0], {
		sweep: 'widths',
		trial_id: trial.id,
		ordinal: 0,
		state: 'completed',
		repeat: 0,
		seed: 1000,
		param_count: 101_770,
		epochs_run: 5,
		final_loss: last.loss,
		final_accuracy: last.accuracy,
		final_val_loss: 0.45,
		final_val_accuracy: 0.6,
		best_val_accuracy: 0.7,
		best_epoch: 3,
		min_val_loss: 0.4,
		test_loss: 0.5,
		test_accuracy: 0.8,
		train_seconds: 3,
		backend: 'cpu',
	});
	t.deepEqual(JSON.parse(rows[0].config as string), trialSpecs(1)[0].config);
	t.like(rows[1], {ordinal: 1, state: 'pending', epochs_run: 0, final_loss: null, best_val_accuracy: null, best_epoch: null, min_val_loss: null});
});

test('a trial whose every val_accuracy is NaN has no best epoch in trial_summary', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openIn(t, path);
	const sweep = await store.openSweep(sweepInput('widths'));
	await store.addTrials(sweep.id, trialSpecs(1));
	const trial = (await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
	await store.recordStep(trial.id, OWNER_A, stepRecord(1, {loss: Number.NaN, valLoss: Number.NaN, valAccuracy: Number.NaN}));
	const row = raw(t, path).prepare('SELECT final_loss, best_val_accuracy, best_epoch, min_val_loss FROM trial_summary').get();
	t.deepEqual(row, {final_loss: 'NaN', best_val_accuracy: null, best_epoch: null, min_val_loss: null});
});

test('two processes claiming from the same file at once never get the same trial', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openIn(t, path);
	const sweep = await store.openSweep(sweepInput('widths'));
	const count = 60;
	await store.addTrials(sweep.id, trialSpecs(count));
	const runs = await Promise.all([OWNER_A, OWNER_B].map(async (owner) => runChild(['claim', path, String(sweep.id), owner])));
	// Both wait at "ready" so their claim loops start together rather than one finishing before the other boots.
	await Promise.all(
		runs.map(
			async (run) =>
				new Promise<void>((resolve) => {
					const poll = setInterval(() => {
						if (run.output().includes('ready\n')) {
							clearInterval(poll);
							resolve();
						}
					}, 5);
				}),
		),
	);
	for (const run of runs) {
		run.child.stdin.end('go\n');
	}

	t.deepEqual(await Promise.all(runs.map(async (run) => run.exit)), [0, 0]);
	const [a, b] = runs.map((run) => (JSON.parse(run.output().replace('ready\n', '')) as {claimed: number[]}).claimed);
	const all = [...a, ...b];
	t.is(new Set(all).size, all.length, 'a trial was handed out twice');
	t.is(all.length, count);
	const trials = await store.trials(sweep.id);
	t.true(trials.every((trial) => trial.state === 'completed' && trial.attempts === 1 && trial.epochsRun === 1));
	t.log(`claims: ${a.length} by ${OWNER_A}, ${b.length} by ${OWNER_B}`);
});

test('a lease expires strictly after leaseMs without a heartbeat, and every write refreshes it', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const clock = manualClock(1_000_000);
	const a = openIn(t, path, {now: clock.now});
	const b = openIn(t, path, {now: clock.now});
	const sweep = await a.openSweep(sweepInput('widths'));
	await a.addTrials(sweep.id, trialSpecs(1));
	const trial = (await a.claimTrial(sweep.id, OWNER_A, 500))!;
	t.is(trial.heartbeatAt, 1_000_000);

	const refreshes: Array<[string, () => Promise<void>]> = [
		['markStarted', async () => a.markStarted(trial.id, OWNER_A, {backend: 'cpu', trainingPath: 'fit', host: 'a', paramCount: 10})],
		['recordStep', async () => a.recordStep(trial.id, OWNER_A, stepRecord(1))],
		['heartbeat', async () => a.heartbeat([trial.id], OWNER_A)],
	];
	for (const [name, refresh] of refreshes) {
		clock.ms += 400;
		await refresh();
		clock.ms += 500;
		t.is(await b.claimTrial(sweep.id, OWNER_B, 500), undefined, `${name} did not refresh the heartbeat`);
	}

	t.is((await a.trials(sweep.id))[0].heartbeatAt, clock.ms - 500);
	clock.ms += 1;
	const reclaimed = await b.claimTrial(sweep.id, OWNER_B, 500);
	t.like(reclaimed, {id: trial.id, owner: OWNER_B, attempts: 2, heartbeatAt: clock.ms, startedAt: new Date(clock.ms).toISOString()});
});

test('after a reclaim by another connection the old owner gets LeaseLostError and its epochs are gone', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const clock = manualClock(5_000);
	const a = openIn(t, path, {now: clock.now});
	const b = openIn(t, path, {now: clock.now});
	const sweep = await a.openSweep(sweepInput('widths'));
	await a.addTrials(sweep.id, trialSpecs(1));
	const trial = (await a.claimTrial(sweep.id, OWNER_A, 100))!;
	await a.recordStep(trial.id, OWNER_A, stepRecord(1));
	await a.recordStep(trial.id, OWNER_A, stepRecord(2));
	clock.ms += 1000;
	await b.claimTrial(sweep.id, OWNER_B, 100);
	t.deepEqual(await epochsOf(a, sweep.id), []);
	const error = await t.throwsAsync<LeaseLostError>(a.recordStep(trial.id, OWNER_A, stepRecord(3)), {instanceOf: LeaseLostError});
	t.true(error instanceof StoreError);
	t.regex(error!.message, new RegExp(`trial ${trial.id} .*running under owner "${OWNER_B}"`));
	await t.throwsAsync(a.finishTrial(trial.id, OWNER_A, {state: 'completed'}), {instanceOf: LeaseLostError});
	await b.recordStep(trial.id, OWNER_B, stepRecord(1, {loss: 0.123}));
	t.deepEqual(await epochsOf(a, sweep.id), [{trialId: trial.id, ...epochRecord(1, {loss: 0.123})}]);
});

test('heartbeat commits the trials still held even when it reports lost ones', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const clock = manualClock(10_000);
	const store = openIn(t, path, {now: clock.now});
	const sweep = await store.openSweep(sweepInput('widths'));
	await store.addTrials(sweep.id, trialSpecs(2));
	const held = (await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
	const taken = (await store.claimTrial(sweep.id, OWNER_B, LONG_LEASE))!;
	clock.ms += 250;
	await t.throwsAsync(store.heartbeat([held.id, taken.id], OWNER_A), {instanceOf: LeaseLostError});
	const [first, second] = await store.trials(sweep.id);
	t.is(first.heartbeatAt, 10_250);
	t.is(second.heartbeatAt, 10_000);
});

test('finished trials are immutable in the schema itself, not only in the store', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openIn(t, path);
	const sweep = await store.openSweep(sweepInput('widths'));
	await store.addTrials(sweep.id, trialSpecs(1));
	const trial = (await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
	await store.recordStep(trial.id, OWNER_A, stepRecord(1));
	await store.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: 0.9}});
	const db = raw(t, path);
	// better-sqlite3's SqliteError is not an Error to ava, hence `any`.
	const refused = {any: true, message: /finished trials are never modified/} as const;
	t.throws(() => db.prepare(`UPDATE trials SET state = 'pending' WHERE id = ?`).run(trial.id), refused);
	t.throws(() => db.prepare('INSERT INTO steps (trial_id, step) VALUES (?, 1)').run(trial.id), refused);
	// A step written while the trial ran cannot gain metrics once it finished.
	t.throws(() => db.prepare(`INSERT INTO metrics (step_id, name, value) SELECT id, 'late', 1 FROM steps WHERE trial_id = ?`).run(trial.id), refused);
	t.like((await store.trials(sweep.id))[0], {state: 'completed', testAccuracy: 0.9, epochsRun: 1});
});

test('openSweep from a second connection returns the same sweep for the same hash and refuses another', async (t) => {
	const path = join(tempDir(t), 'sweeps.db');
	const a = openIn(t, path);
	const b = openIn(t, path);
	const sweep = await a.openSweep(sweepInput('widths', 'h1'));
	t.deepEqual(await b.openSweep(sweepInput('widths', 'h1')), sweep);
	const error = await t.throwsAsync(b.openSweep(sweepInput('widths', 'h2')), {instanceOf: StoreError});
	t.true(error!.message.startsWith(`${path}: `));
	t.regex(error!.message, /h1.*h2/);
});

/** Whether every folder from the root down to `dir` lets other users through (o+x). */
function reachableByOthers(dir: string): boolean {
	const parts = dir.split('/').filter(Boolean);
	for (let i = 0; i <= parts.length; i++) {
		if ((statSync('/' + parts.slice(0, i).join('/')).mode & 0o001) === 0) {
			return false;
		}
	}

	return true;
}
