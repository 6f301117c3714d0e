import {mkdtempSync, rmSync} from 'node:fs';
import {type AddressInfo, connect, createServer, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import Database from 'better-sqlite3';
import pg from 'pg';
import {StoreError} from '../../src/errors.js';
import {isPostgresUrl, redactUrl} from '../../src/store/pg-connection.js';
import {openPostgresStore, PG_SCHEMA_VERSION, type PostgresStore, type PostgresStoreOptions} from '../../src/store/postgres.js';
import {openSqliteStore, SCHEMA_VERSION} from '../../src/store/sqlite.js';
import type {Store} from '../../src/store/store.js';
import {LONG_LEASE, OWNER_A, OWNER_B, epochsOf, stepRecord, storeContract, sweepInput, trialSpecs} from './contract.js';
import {admin, findTestPostgres, requirePostgres, schemas} from './pg.js';
import {assertV1Rows, V1_ROWS, v1Schema} from './v1.js';

// Before any test is declared: ava starts running them once the file's first tick is over.
const found = await findTestPostgres();

test('postgres:// and postgresql:// URLs select PostgreSQL; passwords never reach a message', t => {
	t.true(isPostgresUrl('postgres://u:p@h:5432/d'));
	t.true(isPostgresUrl('postgresql://h/d'));
	t.false(isPostgresUrl('db/sweeplab.db'));
	t.false(isPostgresUrl('postgres.db'));
	t.is(redactUrl('postgres://ann:s3cret@db.lan:5432/sweeps'), 'postgres://ann:***@db.lan:5432/sweeps');
	t.is(redactUrl('postgres://db.lan/sweeps'), 'postgres://db.lan/sweeps');
});

/**
 * A first connection that fails: one StoreError naming the cause, never the password. The reconnect limit is long
 * and the message is not the give-up one: the call did not wait, it failed on the first attempt.
 */
async function failsFast(t: ExecutionContext, url: string, pattern: RegExp): Promise<void> {
	const store = openPostgresStore(url, {reconnectMs: 600_000, retryDelayMs: 50});
	t.teardown(async () => store.close());
	const error = await t.throwsAsync(store.getSweep('widths'), {instanceOf: StoreError});
	t.notRegex(error!.message, /unreachable for/);
	t.regex(error!.message, pattern);
	t.false(error!.message.includes('s3cret'));
	t.false(error!.message.includes('\n'));
}

test('a server that is not there fails the first connection at once: connection refused, naming host and port, password masked', async t => {
	// Port 1 on loopback: refused at once, every time.
	await failsFast(t, 'postgres://ann:s3cret@127.0.0.1:1/sweeps', /^postgres:\/\/ann:\*\*\*@127\.0\.0\.1:1\/sweeps: connection refused by 127\.0\.0\.1:1: is PostgreSQL running there/);
});

test('a host name that does not resolve fails the first connection at once', async t => {
	await failsFast(t, 'postgres://ann:s3cret@no-such-host.invalid:5432/sweeps', /^postgres:\/\/ann:\*\*\*@no-such-host\.invalid:5432\/sweeps: cannot resolve the database host/);
});

if (requirePostgres(test, found, 'PostgreSQL store tests')) {
	const {url} = found;
	const names = schemas(url);
	test.after.always(async () => names.dropAll());

	const open = (options: PostgresStoreOptions = {}) => openPostgresStore(url, {schema: names.name(), ...options});
	storeContract(test, async () => open());

	function store(t: ExecutionContext, options: PostgresStoreOptions = {}): PostgresStore {
		const opened = open(options);
		t.teardown(async () => opened.close());
		return opened;
	}

	const int8AsNumber = {
		getTypeParser: ((oid: number, format?: string) =>
			oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
	};

	/** A raw connection to the store's schema, as a user with psql would have. */
	async function raw(t: ExecutionContext, schema: string): Promise<pg.Client> {
		const client = new pg.Client({connectionString: url, options: `-c search_path=${schema}`, types: int8AsNumber});
		await client.connect();
		t.teardown(async () => client.end());
		return client;
	}

	function storeWithSchema(t: ExecutionContext, options: PostgresStoreOptions = {}): {store: PostgresStore; schema: string} {
		const schema = names.name();
		const opened = openPostgresStore(url, {schema, ...options});
		t.teardown(async () => opened.close());
		return {store: opened, schema};
	}

	test('migrates a new schema to the same version as SQLite, with the same tables and views', async t => {
		const {store: opened, schema} = storeWithSchema(t);
		await opened.ready();
		t.is(PG_SCHEMA_VERSION, SCHEMA_VERSION);
		const client = await raw(t, schema);
		const {rows} = await client.query<{name: string}>(
			`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
			[schema],
		);
		t.deepEqual(
			rows.map(row => row.name),
			['checkpoints', 'epochs', 'leaderboard', 'metrics', 'pareto', 'steps', 'sweep_metric', 'sweeplab_schema', 'sweeps', 'trial_outcome', 'trial_summary', 'trials'],
		);
		t.deepEqual((await client.query('SELECT version FROM sweeplab_schema')).rows, [{version: SCHEMA_VERSION}]);
	});

	test('several hosts opening a new database at once migrate it once', async t => {
		const schema = names.name();
		const stores = Array.from({length: 4}, () => openPostgresStore(url, {schema}));
		t.teardown(async () => Promise.all(stores.map(async each => each.close())));
		await Promise.all(stores.map(async each => each.ready()));
		const sweeps = await Promise.all(stores.map(async each => each.openSweep(sweepInput('widths'))));
		t.is(new Set(sweeps.map(sweep => sweep.id)).size, 1);
		const client = await raw(t, schema);
		t.deepEqual((await client.query('SELECT version FROM sweeplab_schema')).rows, [{version: SCHEMA_VERSION}]);
	});

	test('a database the first release wrote (schema v1) upgrades to the schema a new one gets, its rows intact', async t => {
		const schema = names.name();
		await admin(url, `CREATE SCHEMA ${schema}`);
		const client = await raw(t, schema);
		await client.query(v1Schema('postgres'));
		await client.query(V1_ROWS);
		await client.query('CREATE TABLE sweeplab_schema (version integer NOT NULL); INSERT INTO sweeplab_schema (version) VALUES (1)');
		const {store: fresh, schema: freshSchema} = storeWithSchema(t);
		await fresh.ready();

		const upgraded = openPostgresStore(url, {schema});
		t.teardown(async () => upgraded.close());
		await assertV1Rows(t, upgraded);
		t.deepEqual((await client.query('SELECT version FROM sweeplab_schema')).rows, [{version: SCHEMA_VERSION}]);
		const columns = async (of: string) =>
			(
				await client.query(
					`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
					WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
					[of],
				)
			).rows;
		t.deepEqual(await columns(schema), await columns(freshSchema));
		t.like((await client.query('SELECT * FROM leaderboard')).rows[0], {sweep: 'widths', config_hash: 'c0', trials: 1, completed: 1, val_accuracy: 0.75});
	});

	test('refuses a database whose schema is newer than this code knows', async t => {
		const {store: first, schema} = storeWithSchema(t);
		await first.ready();
		const client = await raw(t, schema);
		await client.query('UPDATE sweeplab_schema SET version = $1', [SCHEMA_VERSION + 1]);
		const later = openPostgresStore(url, {schema});
		t.teardown(async () => later.close());
		await t.throwsAsync(later.listSweeps(), {instanceOf: StoreError, message: /newer than this sweeplab supports/});
	});

	test('NaN and +/-Infinity are stored as double precision NaN/Infinity, not NULL or text', async t => {
		const {store: opened, schema} = storeWithSchema(t);
		const sweep = await opened.openSweep(sweepInput('widths'));
		await opened.addTrials(sweep.id, trialSpecs(1));
		const trial = (await opened.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
		await opened.recordStep(trial.id, OWNER_A, stepRecord(1, {loss: Number.NaN, accuracy: Number.NEGATIVE_INFINITY, valLoss: Number.POSITIVE_INFINITY}));
		await opened.finishTrial(trial.id, OWNER_A, {state: 'diverged', metrics: {test_loss: Number.NaN}});
		const client = await raw(t, schema);
		t.deepEqual((await client.query(`SELECT loss::text, accuracy::text, val_loss::text, pg_typeof(loss)::text AS type FROM epochs`)).rows, [
			{loss: 'NaN', accuracy: '-Infinity', val_loss: 'Infinity', type: 'double precision'},
		]);
		t.deepEqual((await client.query('SELECT test_loss::text, test_accuracy FROM trials')).rows, [{test_loss: 'NaN', test_accuracy: null}]);
	});

	test('finished trials are immutable in the schema itself, not only in the store', async t => {
		const {store: opened, schema} = storeWithSchema(t);
		const sweep = await opened.openSweep(sweepInput('widths'));
		await opened.addTrials(sweep.id, trialSpecs(1));
		const trial = (await opened.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
		await opened.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: 0.9}});
		const client = await raw(t, schema);
		await t.throwsAsync(client.query(`UPDATE trials SET state = 'pending' WHERE id = $1`, [trial.id]), {message: /finished trials are never modified/});
		await t.throwsAsync(client.query('INSERT INTO steps (trial_id, step) VALUES ($1, 1)', [trial.id]), {message: /finished trials are never modified/});
		t.like((await opened.trials(sweep.id))[0], {state: 'completed', testAccuracy: 0.9, finalMetrics: {test_accuracy: 0.9}});
	});

	test('connections claiming at once never get the same trial (FOR UPDATE SKIP LOCKED)', async t => {
		const schema = names.name();
		const stores = Array.from({length: 3}, () => openPostgresStore(url, {schema}));
		t.teardown(async () => Promise.all(stores.map(async each => each.close())));
		const sweep = await stores[0].openSweep(sweepInput('widths'));
		const count = 60;
		await stores[0].addTrials(sweep.id, trialSpecs(count));
		const claims = await Promise.all(
			stores.map(async (each, index) => {
				const owner = `host-${index}:1`;
				const mine: number[] = [];
				for (;;) {
					const trial = await each.claimTrial(sweep.id, owner, LONG_LEASE);
					if (!trial) {
						return mine;
					}

					mine.push(trial.id);
					await each.recordStep(trial.id, owner, stepRecord(1));
					await each.finishTrial(trial.id, owner, {state: 'completed'});
				}
			}),
		);
		const all = claims.flat();
		t.is(new Set(all).size, all.length, 'a trial was handed out twice');
		t.is(all.length, count);
		t.true((await stores[0].trials(sweep.id)).every(trial => trial.state === 'completed' && trial.attempts === 1 && trial.epochsRun === 1));
		t.log(`claims per connection: ${claims.map(each => each.length).join(', ')}`);
	});

	test('a dropped connection is reconnected transparently; the lease and the data are intact', async t => {
		const applicationName = `sweeplab-drop-${process.pid}`;
		const opened = store(t, {applicationName, retryDelayMs: 20});
		const sweep = await opened.openSweep(sweepInput('widths'));
		await opened.addTrials(sweep.id, trialSpecs(2));
		const trial = (await opened.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
		await opened.recordStep(trial.id, OWNER_A, stepRecord(1));
		const killed = await admin<{ok: boolean}>(url, 'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
		t.true(killed.length > 0, 'no connection of the store was found to terminate');
		await opened.recordStep(trial.id, OWNER_A, stepRecord(2));
		await opened.heartbeat([trial.id], OWNER_A);
		await opened.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: 0.8}});
		t.like((await opened.trials(sweep.id))[0], {state: 'completed', epochsRun: 2, attempts: 1});
		t.deepEqual(
			(await epochsOf(opened, sweep.id)).map(epoch => epoch.epoch),
			[1, 2],
		);
	});

	test('a wrong password or a missing database fails the first connection at once, saying which', async t => {
		const wrong = new URL(url);
		wrong.password = 's3cret';
		await failsFast(t, wrong.toString(), /password authentication failed .*check the user and password in --db/);
		const missing = new URL(url);
		missing.pathname = '/sweeplab_no_such_database';
		const store = openPostgresStore(missing.toString(), {reconnectMs: 600_000});
		t.teardown(async () => store.close());
		const error = await t.throwsAsync(store.getSweep('widths'), {instanceOf: StoreError});
		t.regex(error!.message, /database "sweeplab_no_such_database" does not exist; create it first/);
		t.false(error!.message.includes(`:${new URL(url).password}@`));
	});

	test('a database that was working and then stays away is retried with backoff until reconnectMs, then one StoreError', async t => {
		// A TCP relay in front of the server: closing it makes the database vanish mid-session, as a network cut does.
		const target = new URL(url);
		const sockets = new Set<Socket>();
		const relay = createServer(client => {
			const server = connect(Number(target.port || 5432), target.hostname);
			for (const socket of [client, server]) {
				sockets.add(socket);
				socket.on('error', () => undefined);
				socket.on('close', () => sockets.delete(socket));
			}

			client.pipe(server).pipe(client);
		});
		await new Promise<void>(resolve => {
			relay.listen(0, '127.0.0.1', resolve);
		});
		const relayed = new URL(url);
		relayed.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
		const opened = openPostgresStore(relayed.toString(), {schema: names.name(), reconnectMs: 1500, retryDelayMs: 50});
		t.teardown(async () => opened.close());
		await opened.openSweep(sweepInput('widths'));
		await new Promise<void>(resolve => {
			relay.close(() => resolve());
			for (const socket of sockets) {
				socket.destroy();
			}
		});
		const started = Date.now();
		const error = await t.throwsAsync(opened.getSweep('widths'), {instanceOf: StoreError});
		t.true(Date.now() - started >= 1500, 'retried until the limit');
		t.regex(error!.message, /unreachable for \d+ s .*giving up/);
		t.false(error!.message.includes('\n'));
	});

	test('leases are timed by the database clock: an expired one is reclaimed, a fresh one is not', async t => {
		const a = store(t);
		const sweep = await a.openSweep(sweepInput('widths'));
		await a.addTrials(sweep.id, trialSpecs(1));
		const trial = (await a.claimTrial(sweep.id, OWNER_A, 200))!;
		t.is(await a.claimTrial(sweep.id, OWNER_B, 60_000), undefined);
		await new Promise(resolve => {
			setTimeout(resolve, 300);
		});
		t.like(await a.claimTrial(sweep.id, OWNER_B, 200), {id: trial.id, owner: OWNER_B, attempts: 2});
	});

	/** The same trials, epochs and outcomes, through the Store API, in any store: two sweeps so views partition. */
	async function populate(target: Store): Promise<void> {
		for (const name of ['widths', 'depths']) {
			const sweep = await target.openSweep(sweepInput(name));
			const specs = trialSpecs(4).flatMap(spec => [spec, {...spec, ordinal: spec.ordinal + 10, repeat: 1, seed: spec.seed + 100}]);
			await target.addTrials(sweep.id, specs);
			for (let index = 0; index < specs.length - 1; index++) {
				const trial = (await target.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
				const k = trial.ordinal % 10;
				const r = trial.repeat;
				await target.markStarted(trial.id, OWNER_A, {backend: k === 2 ? 'wasm' : 'cpu', trainingPath: 'fit', host: 'host-a', paramCount: 1000 * (k + 1), cores: 2});
				const valAccuracies = [0.5 + k / 20 + r / 100, k === 1 ? Number.NaN : 0.55 + k / 20, 0.52 + k / 20 - r / 50];
				const valLosses = [1 - k / 10, k === 3 ? Number.NEGATIVE_INFINITY : 0.7 - k / 20 + r / 100, 0.71 - k / 20];
				for (const [at, valAccuracy] of valAccuracies.entries()) {
					await target.recordStep(trial.id, OWNER_A, stepRecord(at + 1, {valAccuracy, valLoss: valLosses[at], seconds: 0.5 + k / 4 + r / 8}));
				}

				const state = k === 0 && r === 1 ? 'failed' : k === 3 && r === 0 ? 'diverged' : 'completed';
				await target.finishTrial(trial.id, OWNER_A, {
					state,
					metrics: {test_loss: 0.5, test_accuracy: k === 2 && r === 1 ? Number.NaN : 0.6 + k / 25},
					trainSeconds: name === 'depths' && k === 1 ? 0.5 : 1.5 + k + r / 3,
				});
			}
		}
	}

	/** Row values comparable across engines: SQLite's 'NaN' text is NaN, floats to 12 significant digits. */
	function normalise(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
		return rows.map(row =>
			Object.fromEntries(
				Object.entries(row).map(([key, value]) => [
					key,
					value === 'NaN' ? Number.NaN : typeof value === 'number' && Number.isFinite(value) ? Number(value.toPrecision(12)) : value,
				]),
			),
		);
	}

	test('trial_summary, leaderboard and pareto give the same rows on PostgreSQL as on SQLite', async t => {
		const directory = mkdtempSync(join(tmpdir(), 'sweeplab-pg-views-'));
		t.teardown(() => {
			rmSync(directory, {recursive: true, force: true});
		});
		const path = join(directory, 'views.db');
		const sqlite = openSqliteStore(path);
		await populate(sqlite);
		await sqlite.close();
		const {store: opened, schema} = storeWithSchema(t);
		await populate(opened);

		const lite = new Database(path, {readonly: true});
		t.teardown(() => {
			lite.close();
		});
		const client = await raw(t, schema);
		for (const [view, order] of [
			['trial_summary', 'sweep, trial_id'],
			['leaderboard', 'sweep, config_hash'],
			['pareto', 'sweep, config_hash'],
		]) {
			const expected = normalise(lite.prepare(`SELECT * FROM ${view} ORDER BY ${order}`).all() as Array<Record<string, unknown>>);
			const actual = normalise((await client.query(`SELECT * FROM ${view} ORDER BY ${order}`)).rows as Array<Record<string, unknown>>);
			t.true(expected.length > 0);
			t.deepEqual(actual, expected, view);
		}

		// The data must exercise what differs between the engines, or the comparison proves little.
		const summary = lite.prepare(`SELECT count(*) AS n FROM trial_summary WHERE typeof(final_val_loss) = 'real' AND final_val_loss IS NOT NULL`).get() as {n: number};
		t.true(summary.n > 0);
		t.true((lite.prepare('SELECT count(*) AS n FROM pareto').get() as {n: number}).n >= 2);
		t.true((lite.prepare('SELECT count(*) AS n FROM leaderboard WHERE rank IS NULL').get() as {n: number}).n >= 1);
	});

	test('importSweep copies a PostgreSQL sweep into SQLite as it is, and a second copy replaces the first', async t => {
		const directory = mkdtempSync(join(tmpdir(), 'sweeplab-pg-copy-'));
		t.teardown(() => {
			rmSync(directory, {recursive: true, force: true});
		});
		const source = store(t);
		await populate(source);
		const sweep = (await source.getSweep('widths'))!;
		const trials = await source.trials(sweep.id);
		const steps = await source.steps(sweep.id);
		const target = openSqliteStore(join(directory, 'copy.db'));
		t.teardown(async () => target.close());
		const copied = await target.importSweep(sweep, trials, steps);
		await target.importSweep(sweep, trials, steps);
		const {id: _id, ...rest} = sweep;
		t.like(copied, rest);
		const copiedTrials = await target.trials(copied.id);
		const strip = ({id: _trial, sweepId: _sweep, ...fields}: (typeof trials)[number]) => fields;
		t.deepEqual(copiedTrials.map(strip), trials.map(strip));
		t.true(copiedTrials.some(trial => trial.state === 'pending') && copiedTrials.some(trial => trial.state === 'failed'));
		const ids = new Map(trials.map((trial, index) => [trial.id, copiedTrials[index].id]));
		const withoutId = ({id: _step, ...step}: (typeof steps)[number]) => step;
		t.deepEqual((await target.steps(copied.id)).map(withoutId), steps.map(step => ({...withoutId(step), trialId: ids.get(step.trialId)!})));
		await t.throwsAsync(target.importSweep({...sweep, definitionHash: 'other'}, trials, steps), {instanceOf: StoreError, message: /different definition/});
	});
}
