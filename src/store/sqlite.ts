/**
 * The SQLite Store (better-sqlite3, synchronous underneath). One connection per process; several processes
 * may share a file: WAL lets readers run beside the single writer, and every write is an IMMEDIATE
 * transaction so it takes the write lock up front instead of failing on a read-to-write upgrade.
 */
import {accessSync, constants as fsConstants, existsSync, mkdirSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import Database from 'better-sqlite3';
import type {EpochRecord, SweepDefinition, TrialOutcome, TrialSpec, TrialState} from '../types.js';
import {FINISHED_STATES, TRIAL_STATES} from '../types.js';
import {StoreError, SweeplabError} from '../errors.js';
import {type EpochRow, type SweepRow, toEpoch, toSweep, toTrial, type TrialRow} from './rows.js';
import type {Store, StoredEpoch, SweepRecord, SweepStatus, TrialRecord} from './store.js';
import {LeaseLostError} from './store.js';

export interface SqliteStoreOptions {
	/** Open an existing database for reading only; every write rejects with StoreError. */
	readonly?: boolean;
	/** How long a write waits for another process's lock before failing. Default 10000. */
	busyTimeoutMs?: number;
	/** Epoch milliseconds; injectable so lease expiry can be tested without waiting. */
	now?: () => number;
}

const sqlList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

/**
 * Ordered; migration i (1-based) brings user_version from i-1 to i. Never edit a released migration: add one.
 * Metric columns are REAL but hold the TEXT 'NaN' for NaN (a bound NaN would become NULL); +/-Infinity are
 * REAL infinities. Views guard with typeof(x) = 'real' so 'NaN' (which sorts above every number) is never
 * taken as a best value.
 */
export const MIGRATIONS: readonly string[] = [
	`
	CREATE TABLE sweeps (
		id INTEGER PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		definition TEXT NOT NULL CHECK (json_valid(definition)),
		definition_hash TEXT NOT NULL,
		source TEXT NOT NULL,
		file TEXT NOT NULL,
		created_at TEXT NOT NULL
	);

	CREATE TABLE trials (
		id INTEGER PRIMARY KEY,
		sweep_id INTEGER NOT NULL REFERENCES sweeps (id),
		ordinal INTEGER NOT NULL,
		config TEXT NOT NULL CHECK (json_valid(config)),
		config_hash TEXT NOT NULL,
		repeat INTEGER NOT NULL,
		seed INTEGER NOT NULL,
		state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN (${sqlList(TRIAL_STATES)})),
		attempts INTEGER NOT NULL DEFAULT 0,
		owner TEXT,
		heartbeat_at INTEGER,
		backend TEXT,
		training_path TEXT,
		host TEXT,
		param_count INTEGER,
		started_at TEXT,
		finished_at TEXT,
		epochs_run INTEGER NOT NULL DEFAULT 0,
		test_loss REAL,
		test_accuracy REAL,
		train_seconds REAL,
		error TEXT,
		UNIQUE (sweep_id, config_hash, repeat)
	);
	CREATE INDEX trials_claim ON trials (sweep_id, state, ordinal);

	CREATE TABLE epochs (
		trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
		epoch INTEGER NOT NULL,
		loss REAL,
		accuracy REAL,
		val_loss REAL,
		val_accuracy REAL,
		seconds REAL,
		UNIQUE (trial_id, epoch)
	);

	-- Defence in depth: the store's own checks come first, these catch any future code path that forgets.
	CREATE TRIGGER trials_finished_immutable BEFORE UPDATE ON trials
	WHEN OLD.state IN (${sqlList(FINISHED_STATES)})
	BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
	CREATE TRIGGER epochs_of_finished_trial BEFORE INSERT ON epochs
	WHEN (SELECT state FROM trials WHERE id = NEW.trial_id) IN (${sqlList(FINISHED_STATES)})
	BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;

	CREATE VIEW trial_summary AS
	SELECT
		s.name AS sweep,
		t.id AS trial_id,
		t.ordinal,
		t.state,
		t.config,
		t.repeat,
		t.seed,
		t.param_count,
		t.epochs_run,
		last.loss AS final_loss,
		last.accuracy AS final_accuracy,
		last.val_loss AS final_val_loss,
		last.val_accuracy AS final_val_accuracy,
		best.val_accuracy AS best_val_accuracy,
		best.epoch AS best_epoch,
		(SELECT min(e.val_loss) FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_loss) = 'real') AS min_val_loss,
		t.test_loss,
		t.test_accuracy,
		t.train_seconds,
		t.backend
	FROM trials t
	JOIN sweeps s ON s.id = t.sweep_id
	LEFT JOIN epochs last ON last.rowid = (
		SELECT e.rowid FROM epochs e WHERE e.trial_id = t.id ORDER BY e.epoch DESC LIMIT 1
	)
	LEFT JOIN epochs best ON best.rowid = (
		SELECT e.rowid FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_accuracy) = 'real'
		ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1
	);
	`,
	// Reports: trial_summary gains config_hash, the convergence epoch and seconds to the best epoch (its old
	// columns keep their names and order); `leaderboard` aggregates repeats per config; `pareto` keeps the
	// configs no other config of the sweep beats on both mean validation accuracy and mean training seconds.
	// converged_epoch spells the rule of src/report/convergence.ts (tolerance max(2% of |min|, 0.001));
	// test/report/convergence.test.ts checks both agree. Means and sample standard deviations are over the
	// finite values of completed trials, as src/report/leaderboard.ts computes them.
	`
	DROP VIEW trial_summary;
	CREATE VIEW trial_summary AS
	WITH base AS (
		SELECT
			s.name AS sweep,
			t.id AS trial_id,
			t.ordinal,
			t.state,
			t.config,
			t.repeat,
			t.seed,
			t.param_count,
			t.epochs_run,
			last.loss AS final_loss,
			last.accuracy AS final_accuracy,
			last.val_loss AS final_val_loss,
			last.val_accuracy AS final_val_accuracy,
			best.val_accuracy AS best_val_accuracy,
			best.epoch AS best_epoch,
			(SELECT min(e.val_loss) FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_loss) = 'real') AS min_val_loss,
			t.test_loss,
			t.test_accuracy,
			t.train_seconds,
			t.backend,
			t.config_hash
		FROM trials t
		JOIN sweeps s ON s.id = t.sweep_id
		LEFT JOIN epochs last ON last.rowid = (
			SELECT e.rowid FROM epochs e WHERE e.trial_id = t.id ORDER BY e.epoch DESC LIMIT 1
		)
		LEFT JOIN epochs best ON best.rowid = (
			SELECT e.rowid FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_accuracy) = 'real'
			ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1
		)
	)
	SELECT
		base.*,
		(SELECT min(e.epoch) FROM epochs e
			WHERE e.trial_id = base.trial_id AND typeof(e.val_loss) = 'real' AND abs(e.val_loss) <= 1.7976931348623157e308
			AND e.val_loss <= base.min_val_loss + max(0.02 * abs(base.min_val_loss), 0.001)) AS converged_epoch,
		(SELECT sum(e.seconds) FROM epochs e
			WHERE e.trial_id = base.trial_id AND e.epoch <= base.best_epoch AND typeof(e.seconds) = 'real') AS seconds_to_best
	FROM base;

	CREATE VIEW leaderboard AS
	WITH done AS (
		SELECT
			sweep,
			config_hash,
			config,
			param_count,
			backend,
			CASE WHEN abs(best_val_accuracy) <= 1.7976931348623157e308 THEN best_val_accuracy END AS val_accuracy,
			CASE WHEN typeof(test_accuracy) = 'real' AND abs(test_accuracy) <= 1.7976931348623157e308 THEN test_accuracy END AS test_accuracy,
			epochs_run,
			best_epoch,
			converged_epoch,
			CASE WHEN abs(seconds_to_best) <= 1.7976931348623157e308 THEN seconds_to_best END AS seconds_to_best,
			CASE WHEN typeof(train_seconds) = 'real' AND abs(train_seconds) <= 1.7976931348623157e308 THEN train_seconds END AS train_seconds
		FROM trial_summary
		WHERE state = 'completed'
	),
	configs AS (
		SELECT sweep, config_hash, min(config) AS config, count(*) AS trials, sum(state = 'completed') AS completed
		FROM trial_summary
		GROUP BY sweep, config_hash
	),
	stats AS (
		SELECT
			sweep,
			config_hash,
			avg(val_accuracy) AS val_accuracy,
			CASE WHEN count(val_accuracy) > 1
				THEN sqrt(max(0, (sum(val_accuracy * val_accuracy) - sum(val_accuracy) * sum(val_accuracy) / count(val_accuracy)) / (count(val_accuracy) - 1)))
				WHEN count(val_accuracy) = 1 THEN 0.0 END AS val_accuracy_std,
			avg(test_accuracy) AS test_accuracy,
			CASE WHEN count(test_accuracy) > 1
				THEN sqrt(max(0, (sum(test_accuracy * test_accuracy) - sum(test_accuracy) * sum(test_accuracy) / count(test_accuracy)) / (count(test_accuracy) - 1)))
				WHEN count(test_accuracy) = 1 THEN 0.0 END AS test_accuracy_std,
			max(param_count) AS param_count,
			avg(epochs_run) AS epochs_run,
			avg(best_epoch) AS best_epoch,
			avg(converged_epoch) AS converged_epoch,
			avg(seconds_to_best) AS seconds_to_best,
			avg(train_seconds) AS train_seconds,
			CASE WHEN count(train_seconds) > 1
				THEN sqrt(max(0, (sum(train_seconds * train_seconds) - sum(train_seconds) * sum(train_seconds) / count(train_seconds)) / (count(train_seconds) - 1)))
				WHEN count(train_seconds) = 1 THEN 0.0 END AS train_seconds_std,
			avg(train_seconds / nullif(epochs_run, 0)) AS seconds_per_epoch,
			group_concat(DISTINCT backend) AS backends
		FROM done
		GROUP BY sweep, config_hash
	)
	SELECT
		c.sweep,
		CASE WHEN s.val_accuracy IS NULL THEN NULL
			ELSE rank() OVER (PARTITION BY c.sweep ORDER BY s.val_accuracy IS NULL, s.val_accuracy DESC) END AS rank,
		c.config_hash,
		c.config,
		c.trials,
		c.completed,
		s.val_accuracy,
		s.val_accuracy_std,
		s.test_accuracy,
		s.test_accuracy_std,
		s.param_count,
		s.epochs_run,
		s.best_epoch,
		s.converged_epoch,
		s.seconds_to_best,
		s.train_seconds,
		s.train_seconds_std,
		s.seconds_per_epoch,
		s.backends
	FROM configs c
	LEFT JOIN stats s ON s.sweep = c.sweep AND s.config_hash = c.config_hash;

	CREATE VIEW pareto AS
	SELECT l.* FROM leaderboard l
	WHERE l.val_accuracy IS NOT NULL AND l.train_seconds IS NOT NULL
	AND NOT EXISTS (
		SELECT 1 FROM leaderboard o
		WHERE o.sweep = l.sweep AND o.val_accuracy IS NOT NULL AND o.train_seconds IS NOT NULL
		AND o.val_accuracy >= l.val_accuracy AND o.train_seconds <= l.train_seconds
		AND (o.val_accuracy > l.val_accuracy OR o.train_seconds < l.train_seconds)
	);
	`,
	// Hosts record their core count beside hostname and backend, so a sweep spread over machines can compare them.
	`
	ALTER TABLE trials ADD COLUMN cores INTEGER;
	`,
	// Why a trial stopped before its last epoch without failing: early stopping or a pruner.
	`
	ALTER TABLE trials ADD COLUMN stop_reason TEXT;
	`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const OUTCOME_STATES: ReadonlySet<TrialState> = new Set(TRIAL_STATES.filter((state) => state !== 'pending' && state !== 'running'));

type Real = number | string | null;

const encodeReal = (value: number | null | undefined): Real =>
	value === undefined || value === null ? null : Number.isNaN(value) ? 'NaN' : value;

const decodeReal = (value: Real): number | null => (value === 'NaN' ? Number.NaN : value === null ? null : Number(value));

type SqliteTrialRow = TrialRow<Real>;
type SqliteEpochRow = EpochRow<Real>;



const sqliteCode = (error: unknown): string | undefined =>
	error instanceof Database.SqliteError ? error.code : undefined;

/** One line naming the path and, where known, what would fix it. */
function storeError(path: string, doing: string, error: unknown, busyTimeoutMs: number): StoreError {
	if (error instanceof SweeplabError) {
		return error;
	}

	const code = sqliteCode(error) ?? '';
	const message = error instanceof Error ? error.message : String(error);
	const where = `${path}: ${doing}`;
	let text: string;
	if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
		text = `${where}: database is locked by another connection (gave up after ${busyTimeoutMs} ms); wait for the other sweeplab process or use another --db`;
	} else if (code === 'SQLITE_NOTADB') {
		text = `${path}: not a SQLite database; point --db at a sweeplab database or a new file`;
	} else if (code.startsWith('SQLITE_READONLY')) {
		text = `${where}: database is read-only; check the permissions of the file and its directory (SQLite writes ${path}-wal beside it)`;
	} else if (code.startsWith('SQLITE_CANTOPEN')) {
		text = `${where}: cannot open the database file; check that it exists and that its directory is writable`;
	} else if (code.startsWith('SQLITE_CORRUPT')) {
		text = `${path}: database is corrupt (${message}); restore it from a copy or use another --db`;
	} else if (code === 'SQLITE_FULL') {
		text = `${where}: disk is full`;
	} else if (message === 'The database connection is not open') {
		text = `${where}: the store is closed`;
	} else {
		text = `${where}: ${message.replaceAll('\n', ' ')}`;
	}

	return new StoreError(text, {cause: error});
}

/**
 * Open (creating when missing, read-write) a SQLite store and bring its schema up to date.
 * @throws StoreError when the file is not a database, is unwritable (read-write mode), is locked past the busy
 * timeout, or has a newer schema than this code knows.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
	return new SqliteStore(path, options);
}

export class SqliteStore implements Store {
	readonly path: string;
	readonly readonly: boolean;
	readonly schemaVersion: number;
	readonly #db: Database.Database;
	readonly #busyTimeoutMs: number;
	readonly #now: () => number;
	readonly #statements: ReturnType<typeof prepareStatements>;

	constructor(path: string, options: SqliteStoreOptions = {}) {
		this.path = path;
		this.readonly = options.readonly ?? false;
		this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
		this.#now = options.now ?? Date.now;
		const memory = path === ':memory:';
		if (!memory && !this.readonly) {
			checkWritable(path);
		}

		let db: Database.Database | undefined;
		try {
			db = new Database(path, {readonly: this.readonly, fileMustExist: this.readonly, timeout: this.#busyTimeoutMs});
			this.schemaVersion = initialise(db, path, this.readonly, this.#busyTimeoutMs);
			this.#statements = prepareStatements(db);
		} catch (error) {
			db?.close();
			throw storeError(path, 'opening the database', error, this.#busyTimeoutMs);
		}

		this.#db = db;
	}

	async openSweep(input: {definition: SweepDefinition; definitionHash: string; source: string; file: string}): Promise<SweepRecord> {
		const {name} = input.definition;
		return this.#write(`opening sweep "${name}"`, () => {
			const existing = this.#statements.sweepByName.get(name) as SweepRow | undefined;
			if (existing) {
				if (existing.definition_hash !== input.definitionHash) {
					throw new StoreError(
						`${this.path}: sweep "${name}" already exists with a different definition (hash ${existing.definition_hash}, file ${existing.file}; now ${input.definitionHash}, file ${input.file}); rename the sweep or use another --db`,
					);
				}

				return toSweep(existing);
			}

			const row = this.#statements.insertSweep.get({
				name,
				definition: JSON.stringify(input.definition),
				definitionHash: input.definitionHash,
				source: input.source,
				file: input.file,
				createdAt: this.#iso(),
			}) as SweepRow;
			return toSweep(row);
		});
	}

	async getSweep(name: string): Promise<SweepRecord | undefined> {
		return this.#read(`reading sweep "${name}"`, () => {
			const row = this.#statements.sweepByName.get(name) as SweepRow | undefined;
			return row && toSweep(row);
		});
	}

	async listSweeps(): Promise<SweepStatus[]> {
		return this.#read('listing sweeps', () => {
			const sweeps = (this.#statements.allSweeps.all() as SweepRow[]).map((row) => ({
				sweep: toSweep(row),
				total: 0,
				counts: Object.fromEntries(TRIAL_STATES.map((state) => [state, 0])) as Record<TrialState, number>,
			}));
			const byId = new Map(sweeps.map((status) => [status.sweep.id, status]));
			for (const {sweep_id: sweepId, state, n} of this.#statements.stateCounts.all() as Array<{sweep_id: number; state: TrialState; n: number}>) {
				const status = byId.get(sweepId);
				if (status) {
					status.counts[state] = n;
					status.total += n;
				}
			}

			return sweeps;
		});
	}

	async addTrials(sweepId: number, specs: TrialSpec[]): Promise<number> {
		return this.#write(`adding trials to sweep ${sweepId}`, () => {
			if (!this.#statements.sweepById.get(sweepId)) {
				throw new StoreError(`${this.path}: cannot add trials to sweep ${sweepId}: no such sweep; open it with openSweep first`);
			}

			let added = 0;
			for (const spec of specs) {
				added += this.#statements.insertTrial.run({
					sweepId,
					ordinal: spec.ordinal,
					config: JSON.stringify(spec.config),
					configHash: spec.configHash,
					repeat: spec.repeat,
					seed: spec.seed,
				}).changes;
			}

			return added;
		});
	}

	async claimTrial(sweepId: number, owner: string, leaseMs: number): Promise<TrialRecord | undefined> {
		return this.#write(`claiming a trial of sweep ${sweepId}`, () => {
			const now = this.#now();
			const candidate = this.#statements.claimable.get({sweepId, expiredBefore: now - leaseMs}) as {id: number} | undefined;
			if (!candidate) {
				return undefined;
			}

			this.#statements.deleteEpochs.run(candidate.id);
			this.#statements.claim.run({id: candidate.id, owner, now, startedAt: new Date(now).toISOString()});
			return toTrial(this.#statements.trialById.get(candidate.id) as SqliteTrialRow, decodeReal);
		});
	}

	async markStarted(trialId: number, owner: string, info: {backend: string; trainingPath: string; host: string; paramCount: number; cores?: number}): Promise<void> {
		return this.#write(`marking trial ${trialId} started`, () => {
			this.#holdLease(trialId, owner);
			this.#statements.markStarted.run({id: trialId, ...info, cores: info.cores ?? null, now: this.#now()});
		});
	}

	async recordEpoch(trialId: number, owner: string, epoch: EpochRecord): Promise<void> {
		return this.#write(`recording epoch ${epoch.epoch} of trial ${trialId}`, () => {
			this.#holdLease(trialId, owner);
			try {
				this.#statements.insertEpoch.run({
					trialId,
					epoch: epoch.epoch,
					loss: encodeReal(epoch.loss),
					accuracy: encodeReal(epoch.accuracy),
					valLoss: encodeReal(epoch.valLoss),
					valAccuracy: encodeReal(epoch.valAccuracy),
					seconds: encodeReal(epoch.seconds),
				});
			} catch (error) {
				if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE') {
					throw new StoreError(`${this.path}: trial ${trialId} already has epoch ${epoch.epoch}; epochs are recorded once, numbered from 1`, {cause: error});
				}

				throw error;
			}

			this.#statements.epochRecorded.run({id: trialId, now: this.#now()});
		});
	}

	async heartbeat(trialIds: number[], owner: string): Promise<void> {
		if (trialIds.length === 0) {
			return;
		}

		const lost = this.#write(`refreshing the heartbeat of trials ${trialIds.join(', ')}`, () => {
			const now = this.#now();
			return trialIds.filter((id) => this.#statements.heartbeat.run({id, owner, now}).changes === 0);
		});
		// The held trials' heartbeats are committed by now; the caller still has to learn which ones it lost.
		if (lost.length > 0) {
			throw new LeaseLostError(
				`${this.path}: trials ${lost.join(', ')} are no longer running under owner "${owner}"; another process reclaimed them, they were requeued or they finished`,
				lost,
			);
		}
	}

	async finishTrial(trialId: number, owner: string, outcome: TrialOutcome): Promise<void> {
		return this.#write(`finishing trial ${trialId} as ${outcome.state}`, () => {
			// The type already excludes these; the check guards callers that build outcomes from untyped messages.
			if (!OUTCOME_STATES.has(outcome.state)) {
				throw new StoreError(`${this.path}: cannot finish trial ${trialId} as "${outcome.state}"; use a finished state or "interrupted"`);
			}

			this.#holdLease(trialId, owner);
			this.#statements.finish.run({
				id: trialId,
				state: outcome.state,
				finishedAt: this.#iso(),
				testLoss: encodeReal(outcome.testLoss),
				testAccuracy: encodeReal(outcome.testAccuracy),
				trainSeconds: encodeReal(outcome.trainSeconds),
				error: outcome.error ?? null,
				stopReason: outcome.stopReason ?? null,
			});
		});
	}

	async requeueTrial(trialId: number, owner: string): Promise<void> {
		return this.#write(`requeueing trial ${trialId}`, () => {
			this.#lease(trialId);
			this.#statements.requeue.run({id: trialId, owner});
		});
	}

	async importSweep(sweep: SweepRecord, trials: TrialRecord[], epochs: StoredEpoch[]): Promise<SweepRecord> {
		return this.#write(`importing sweep "${sweep.name}"`, () => {
			const existing = this.#statements.sweepByName.get(sweep.name) as SweepRow | undefined;
			if (existing && existing.definition_hash !== sweep.definitionHash) {
				throw new StoreError(
					`${this.path}: sweep "${sweep.name}" already exists with a different definition (hash ${existing.definition_hash}; the copy has ${sweep.definitionHash}); rename one or copy into another file`,
				);
			}

			let sweepId: number;
			if (existing) {
				sweepId = existing.id;
				this.#statements.deleteTrialsOfSweep.run(sweepId);
			} else {
				sweepId = (this.#statements.insertSweep.get({
					name: sweep.name,
					definition: JSON.stringify(sweep.definition),
					definitionHash: sweep.definitionHash,
					source: sweep.source,
					file: sweep.file,
					createdAt: sweep.createdAt,
				}) as SweepRow).id;
			}

			const ids = new Map<number, number>();
			for (const trial of trials) {
				// In as pending so the epochs can follow; the real state is set last (a finished trial is immutable).
				const row = this.#statements.importTrial.get({
					sweepId,
					ordinal: trial.ordinal,
					config: JSON.stringify(trial.config),
					configHash: trial.configHash,
					repeat: trial.repeat,
					seed: trial.seed,
					attempts: trial.attempts,
					owner: trial.owner,
					heartbeatAt: trial.heartbeatAt,
					backend: trial.backend,
					trainingPath: trial.trainingPath,
					host: trial.host,
					cores: trial.cores ?? null,
					paramCount: trial.paramCount,
					startedAt: trial.startedAt,
					finishedAt: trial.finishedAt,
					epochsRun: trial.epochsRun,
					testLoss: encodeReal(trial.testLoss),
					testAccuracy: encodeReal(trial.testAccuracy),
					trainSeconds: encodeReal(trial.trainSeconds),
					error: trial.error,
					stopReason: trial.stopReason ?? null,
				}) as {id: number};
				ids.set(trial.id, row.id);
			}

			for (const epoch of epochs) {
				const trialId = ids.get(epoch.trialId);
				if (trialId !== undefined) {
					this.#statements.insertEpoch.run({
						trialId,
						epoch: epoch.epoch,
						loss: encodeReal(epoch.loss),
						accuracy: encodeReal(epoch.accuracy),
						valLoss: encodeReal(epoch.valLoss),
						valAccuracy: encodeReal(epoch.valAccuracy),
						seconds: encodeReal(epoch.seconds),
					});
				}
			}

			for (const trial of trials) {
				this.#statements.setState.run({id: ids.get(trial.id), state: trial.state});
			}

			return toSweep(this.#statements.sweepByName.get(sweep.name) as SweepRow);
		});
	}

	async trials(sweepId: number): Promise<TrialRecord[]> {
		return this.#read(`reading the trials of sweep ${sweepId}`, () =>
			(this.#statements.trialsOfSweep.all(sweepId) as SqliteTrialRow[]).map(row => toTrial(row, decodeReal)),
		);
	}

	async epochs(sweepId: number): Promise<StoredEpoch[]> {
		return this.#read(`reading the epochs of sweep ${sweepId}`, () =>
			(this.#statements.epochsOfSweep.all(sweepId) as SqliteEpochRow[]).map(row => toEpoch(row, decodeReal)),
		);
	}

	async trial(trialId: number): Promise<TrialRecord | undefined> {
		return this.#read(`reading trial ${trialId}`, () => {
			const row = this.#statements.trialById.get(trialId) as SqliteTrialRow | undefined;
			return row && toTrial(row, decodeReal);
		});
	}

	async trialEpochs(trialIds: readonly number[]): Promise<StoredEpoch[]> {
		return this.#read(`reading the epochs of trials ${trialIds.slice(0, 5).join(', ')}${trialIds.length > 5 ? ', ...' : ''}`, () =>
			(this.#statements.epochsOfTrials.all(JSON.stringify(trialIds)) as SqliteEpochRow[]).map(row => toEpoch(row, decodeReal)),
		);
	}

	async trialsChangedSince(sinceMs: number): Promise<TrialRecord[]> {
		return this.#read('reading the trials changed lately', () =>
			(this.#statements.trialsChangedSince.all({since: sinceMs, sinceIso: new Date(sinceMs).toISOString()}) as SqliteTrialRow[]).map(row => toTrial(row, decodeReal)),
		);
	}

	async close(): Promise<void> {
		if (this.#db.open) {
			this.#db.close();
		}
	}

	#iso(): string {
		return new Date(this.#now()).toISOString();
	}

	#lease(trialId: number): {state: TrialState; owner: string | null} {
		const row = this.#statements.leaseOf.get(trialId) as {state: TrialState; owner: string | null} | undefined;
		if (!row) {
			throw new StoreError(`${this.path}: trial ${trialId} does not exist`);
		}

		return row;
	}

	/** Two processes must never both write a trial: every owner-scoped write checks the lease in its own transaction. */
	#holdLease(trialId: number, owner: string): void {
		const {state, owner: holder} = this.#lease(trialId);
		if (state === 'running' && holder === owner) {
			return;
		}

		const why = FINISHED_STATES.includes(state)
			? `it is ${state} and a finished trial is never modified`
			: state === 'running'
				? `it is running under owner "${holder ?? '?'}" (its lease expired and was reclaimed, or it was never ours)`
				: `it is ${state}`;
		throw new LeaseLostError(`${this.path}: trial ${trialId} is no longer running under owner "${owner}": ${why}`, [trialId]);
	}

	#read<T>(doing: string, body: () => T): T {
		try {
			return body();
		} catch (error) {
			throw storeError(this.path, doing, error, this.#busyTimeoutMs);
		}
	}

	#write<T>(doing: string, body: () => T): T {
		if (this.readonly) {
			throw new StoreError(`${this.path}: ${doing}: the store was opened read-only`);
		}

		try {
			return this.#db.transaction(body).immediate();
		} catch (error) {
			throw storeError(this.path, doing, error, this.#busyTimeoutMs);
		}
	}
}

function checkWritable(path: string): void {
	const file = resolve(path);
	const directory = dirname(file);
	try {
		mkdirSync(directory, {recursive: true});
	} catch (error) {
		throw new StoreError(`${path}: cannot create directory ${directory} (${(error as Error).message})`, {cause: error});
	}

	for (const [target, what] of [
		[directory, `its directory ${directory} is not writable (SQLite creates ${path}-wal beside the database)`],
		...(existsSync(file) ? [[file, 'the file is not writable']] : []),
	] as Array<[string, string]>) {
		try {
			accessSync(target, fsConstants.W_OK);
		} catch (error) {
			throw new StoreError(`${path}: cannot open the database for writing: ${what}; fix the permissions or open it read-only`, {cause: error});
		}
	}
}

/** PRAGMAs and migrations; returns the schema version. */
function initialise(db: Database.Database, path: string, readonly: boolean, busyTimeoutMs: number): number {
	db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
	db.pragma('foreign_keys = ON');
	if (!readonly) {
		// journal_mode answers 'memory' for :memory:, where WAL does not apply.
		db.pragma('journal_mode = WAL');
		db.pragma('synchronous = NORMAL');
	}

	const version = () => db.pragma('user_version', {simple: true}) as number;
	const current = version();
	if (current > SCHEMA_VERSION) {
		throw new StoreError(`${path}: database schema v${current} is newer than this sweeplab supports (v${SCHEMA_VERSION}); upgrade sweeplab`);
	}

	if (current === SCHEMA_VERSION) {
		return current;
	}

	if (readonly) {
		throw new StoreError(`${path}: database schema v${current} is older than this sweeplab's v${SCHEMA_VERSION}; open it once without read-only to upgrade it`);
	}

	db.transaction(() => {
		// Another process may have migrated between the first look and taking the write lock.
		const from = version();
		if (from > SCHEMA_VERSION) {
			throw new StoreError(`${path}: database schema v${from} is newer than this sweeplab supports (v${SCHEMA_VERSION}); upgrade sweeplab`);
		}

		for (const migration of MIGRATIONS.slice(from)) {
			db.exec(migration);
		}

		db.pragma(`user_version = ${SCHEMA_VERSION}`);
	}).immediate();
	return SCHEMA_VERSION;
}

function prepareStatements(db: Database.Database) {
	return {
		sweepByName: db.prepare('SELECT * FROM sweeps WHERE name = ?'),
		sweepById: db.prepare('SELECT id FROM sweeps WHERE id = ?'),
		allSweeps: db.prepare('SELECT * FROM sweeps ORDER BY id'),
		insertSweep: db.prepare(`
			INSERT INTO sweeps (name, definition, definition_hash, source, file, created_at)
			VALUES (@name, @definition, @definitionHash, @source, @file, @createdAt)
			RETURNING *`),
		stateCounts: db.prepare('SELECT sweep_id, state, count(*) AS n FROM trials GROUP BY sweep_id, state'),
		insertTrial: db.prepare(`
			INSERT INTO trials (sweep_id, ordinal, config, config_hash, repeat, seed)
			VALUES (@sweepId, @ordinal, @config, @configHash, @repeat, @seed)
			ON CONFLICT (sweep_id, config_hash, repeat) DO NOTHING`),
		claimable: db.prepare(`
			SELECT id FROM trials
			WHERE sweep_id = @sweepId AND (
				state IN ('pending', 'interrupted')
				OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < @expiredBefore))
			)
			ORDER BY ordinal, id LIMIT 1`),
		// A new attempt starts clean: nothing of the earlier attempt's outcome survives beside the deleted epochs.
		claim: db.prepare(`
			UPDATE trials SET state = 'running', owner = @owner, heartbeat_at = @now, started_at = @startedAt,
				attempts = attempts + 1, finished_at = NULL, epochs_run = 0, test_loss = NULL, test_accuracy = NULL,
				train_seconds = NULL, error = NULL, stop_reason = NULL, backend = NULL, training_path = NULL, host = NULL, cores = NULL,
				param_count = NULL
			WHERE id = @id`),
		deleteEpochs: db.prepare('DELETE FROM epochs WHERE trial_id = ?'),
		trialById: db.prepare('SELECT * FROM trials WHERE id = ?'),
		leaseOf: db.prepare('SELECT state, owner FROM trials WHERE id = ?'),
		markStarted: db.prepare(`
			UPDATE trials SET backend = @backend, training_path = @trainingPath, host = @host, cores = @cores, param_count = @paramCount,
				heartbeat_at = @now
			WHERE id = @id`),
		insertEpoch: db.prepare(`
			INSERT INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
			VALUES (@trialId, @epoch, @loss, @accuracy, @valLoss, @valAccuracy, @seconds)`),
		epochRecorded: db.prepare('UPDATE trials SET epochs_run = epochs_run + 1, heartbeat_at = @now WHERE id = @id'),
		heartbeat: db.prepare(`UPDATE trials SET heartbeat_at = @now WHERE id = @id AND owner = @owner AND state = 'running'`),
		finish: db.prepare(`
			UPDATE trials SET state = @state, finished_at = @finishedAt, owner = NULL, heartbeat_at = NULL,
				test_loss = @testLoss, test_accuracy = @testAccuracy, train_seconds = @trainSeconds, error = @error,
				stop_reason = @stopReason
			WHERE id = @id`),
		requeue: db.prepare(`
			UPDATE trials SET state = 'pending', owner = NULL, heartbeat_at = NULL
			WHERE id = @id AND owner = @owner AND state = 'running'`),
		deleteTrialsOfSweep: db.prepare('DELETE FROM trials WHERE sweep_id = ?'),
		importTrial: db.prepare(`
			INSERT INTO trials (sweep_id, ordinal, config, config_hash, repeat, seed, state, attempts, owner, heartbeat_at, backend,
				training_path, host, cores, param_count, started_at, finished_at, epochs_run, test_loss, test_accuracy, train_seconds, error,
				stop_reason)
			VALUES (@sweepId, @ordinal, @config, @configHash, @repeat, @seed, 'pending', @attempts, @owner, @heartbeatAt, @backend,
				@trainingPath, @host, @cores, @paramCount, @startedAt, @finishedAt, @epochsRun, @testLoss, @testAccuracy, @trainSeconds, @error,
				@stopReason)
			RETURNING id`),
		setState: db.prepare('UPDATE trials SET state = @state WHERE id = @id'),
		trialsOfSweep: db.prepare('SELECT * FROM trials WHERE sweep_id = ? ORDER BY ordinal, id'),
		epochsOfTrials: db.prepare('SELECT * FROM epochs WHERE trial_id IN (SELECT value FROM json_each(?)) ORDER BY trial_id, epoch'),
		// ISO 8601 texts of one format compare as their times do.
		trialsChangedSince: db.prepare(`
			SELECT * FROM trials WHERE heartbeat_at >= @since OR started_at >= @sinceIso OR finished_at >= @sinceIso ORDER BY id`),
		epochsOfSweep: db.prepare(`
			SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id
			WHERE t.sweep_id = ? ORDER BY t.ordinal, t.id, e.epoch`),
	};
}
