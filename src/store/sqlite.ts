/**
 * The SQLite Store (better-sqlite3, synchronous underneath). One connection per process; several processes
 * may share a file: WAL lets readers run beside the single writer, and every write is an IMMEDIATE
 * transaction so it takes the write lock up front instead of failing on a read-to-write upgrade.
 */
import {accessSync, constants as fsConstants, existsSync, mkdirSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import Database from 'better-sqlite3';
import {FINISHED_STATES, type StepRecord, type SweepDefinition, type TrialOutcome, type TrialParams, type TrialSpec, type TrialState} from '../types.js';
import {StoreError, SweeplabError} from '../errors.js';
import {
	checkCheckpointEpoch, checkHeartbeats, checkLease, checkOutcome, checkSameImport, checkSameSweep, checkStepNumber, closed, existingTrial, type Lease, needsMigration,
	noSuchSweep, readOnly,
} from './guards.js';
import {loadMigrations} from './migrations.js';
import {configMeansSql, configValuesSql, decodeActivity, decodeMeans, decodeRanking, type NamedSql, rankingSql, rowsSql, sqliteParams, sweepActivitySql, totalsOf, totalsProbe} from './ranking.js';
import {
	encodeMetrics, finalMetric, importedTrialRow, insertTrialRow, recordOutcomeSql, type StepMetricRow, stepSummariesSql, type StepSummaryRow, type SweepRow, toStepSummary,
	type CheckpointRow, toCheckpoint, toSteps, toSweep, toSweepCheckpoint, toSweepStatuses, toTrial, type TrialRow,
} from './rows.js';
import type {CheckpointKind, RankedPage, RankQuery, StepSummary, Store, SweepActivity, StoredCheckpoint, StoredStep, SweepCheckpoint, SweepRecord, SweepStatus, TrialRecord} from './store.js';

export interface SqliteStoreOptions {
	/** Open an existing database for reading only; every write rejects with StoreError. */
	readonly?: boolean;
	/** How long a write waits for another process's lock before failing. Default 10000. */
	busyTimeoutMs?: number;
	/** Epoch milliseconds; injectable so lease expiry can be tested without waiting. */
	now?: () => number;
}

/**
 * Ordered; migration i (1-based) brings user_version from i-1 to i: the files sql/sqlite/NNN-*.sql. Metric columns
 * are REAL but hold the TEXT 'NaN' for NaN (a bound NaN would become NULL); +/-Infinity are REAL infinities.
 */
export const MIGRATIONS: readonly string[] = loadMigrations('sqlite');

export const SCHEMA_VERSION = MIGRATIONS.length;

type Real = number | string | null;

const encodeReal = (value: number | null | undefined): Real =>
	value === undefined || value === null ? null : Number.isNaN(value) ? 'NaN' : value;

const decodeReal = (value: Real): number | null => (value === 'NaN' ? Number.NaN : value === null ? null : Number(value));

type SqliteTrialRow = TrialRow<Real>;
type SqliteStepRow = StepMetricRow<Real>;

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
		return closed(path, doing, {cause: error});
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
				checkSameSweep(this.path, existing, {name, ...input});
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
		return this.#read('listing sweeps', () =>
			toSweepStatuses(
				this.#statements.allSweeps.all() as SweepRow[],
				this.#statements.stateCounts.all() as Array<{sweep_id: number; state: TrialState; n: number}>,
			),
		);
	}

	async addTrials(sweepId: number, specs: TrialSpec[]): Promise<number> {
		return this.#write(`adding trials to sweep ${sweepId}`, () => {
			if (!this.#statements.sweepById.get(sweepId)) {
				throw noSuchSweep(this.path, sweepId);
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

			// Steps up to the resume checkpoint stay: the trial continues after them.
			const keep = (this.#statements.checkpointEpoch.get(candidate.id) as {epoch: number} | undefined)?.epoch ?? 0;
			this.#statements.deleteStepsAfter.run({id: candidate.id, keep});
			this.#statements.deleteCheckpoint.run({id: candidate.id, kind: 'weights'});
			this.#statements.claim.run({id: candidate.id, owner, now, startedAt: new Date(now).toISOString(), epochsRun: keep});
			return toTrial(this.#statements.trialById.get(candidate.id) as SqliteTrialRow, decodeReal);
		});
	}

	async markStarted(trialId: number, owner: string, info: {backend: string; trainingPath: string; host: string; paramCount: number; cores?: number}): Promise<void> {
		return this.#write(`marking trial ${trialId} started`, () => {
			checkLease(this.path, trialId, owner, this.#lease(trialId));
			this.#statements.markStarted.run({id: trialId, ...info, cores: info.cores ?? null, now: this.#now()});
		});
	}

	async recordStep(trialId: number, owner: string, step: StepRecord): Promise<void> {
		return this.#write(`recording step ${step.step} of trial ${trialId}`, () => {
			checkLease(this.path, trialId, owner, this.#lease(trialId));
			checkStepNumber(this.path, trialId, step.step, (this.#statements.lastStep.get(trialId) as {last: number | null}).last);
			this.#insertStep(trialId, step);
			this.#statements.stepRecorded.run({id: trialId, now: this.#now()});
		});
	}

	async saveCheckpoint(trialId: number, owner: string, checkpoint: {kind: CheckpointKind; epoch: number; data: Uint8Array}): Promise<void> {
		return this.#write(`storing the ${checkpoint.kind} checkpoint of trial ${trialId} after epoch ${checkpoint.epoch}`, () => {
			checkLease(this.path, trialId, owner, this.#lease(trialId));
			const {epochs_run: epochsRun} = this.#statements.epochsRunOf.get(trialId) as {epochs_run: number};
			checkCheckpointEpoch(this.path, trialId, checkpoint.kind, checkpoint.epoch, epochsRun);
			const {data} = checkpoint;
			this.#statements.upsertCheckpoint.run({id: trialId, kind: checkpoint.kind, epoch: checkpoint.epoch, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), createdAt: this.#iso()});
		});
	}

	async loadCheckpoint(trialId: number, kind: CheckpointKind): Promise<StoredCheckpoint | undefined> {
		return this.#read(`reading the ${kind} checkpoint of trial ${trialId}`, () => {
			const row = this.#statements.checkpointOf.get({id: trialId, kind}) as Omit<CheckpointRow, 'kind'> | undefined;
			return row && toCheckpoint({kind, ...row});
		});
	}

	async checkpoints(sweepId: number): Promise<SweepCheckpoint[]> {
		return this.#read(`reading the checkpoints of sweep ${sweepId}`, () =>
			(this.#statements.checkpointsOfSweep.all(sweepId) as Array<CheckpointRow & {trial_id: number}>).map(toSweepCheckpoint),
		);
	}

	async discardCheckpoint(trialId: number, owner: string): Promise<void> {
		return this.#write(`discarding the checkpoint of trial ${trialId}`, () => {
			checkLease(this.path, trialId, owner, this.#lease(trialId));
			this.#statements.deleteCheckpoint.run({id: trialId, kind: 'resume'});
			this.#statements.deleteStepsAfter.run({id: trialId, keep: 0});
			this.#statements.resetEpochsRun.run(trialId);
		});
	}

	async heartbeat(trialIds: number[], owner: string): Promise<void> {
		if (trialIds.length === 0) {
			return;
		}

		const held = this.#write(`refreshing the heartbeat of trials ${trialIds.join(', ')}`, () => {
			const now = this.#now();
			return new Set(trialIds.filter((id) => this.#statements.heartbeat.run({id, owner, now}).changes > 0));
		});
		checkHeartbeats(this.path, owner, trialIds, (id) => held.has(id));
	}

	async finishTrial(trialId: number, owner: string, outcome: TrialOutcome): Promise<void> {
		return this.#write(`finishing trial ${trialId} as ${outcome.state}`, () => {
			checkOutcome(this.path, trialId, outcome.state);
			checkLease(this.path, trialId, owner, this.#lease(trialId));
			if (FINISHED_STATES.includes(outcome.state)) {
				this.#statements.deleteCheckpoint.run({id: trialId, kind: 'resume'});
				// The outcome's tested value reads test_epoch from the trial's final metrics.
				this.#statements.setFinalMetrics.run({id: trialId, finalMetrics: encodeMetrics(outcome.metrics)});
				this.#statements.recordOutcome.run({id: trialId});
			}

			this.#statements.finish.run({
				id: trialId,
				state: outcome.state,
				finishedAt: this.#iso(),
				testLoss: encodeReal(finalMetric(outcome.metrics, 'test_loss')),
				testAccuracy: encodeReal(finalMetric(outcome.metrics, 'test_accuracy')),
				finalMetrics: encodeMetrics(outcome.metrics),
				trainSeconds: encodeReal(outcome.trainSeconds),
				error: outcome.error ?? null,
				stopReason: outcome.stopReason ?? null,
				logPath: outcome.logPath ?? null,
			});
		});
	}

	async requeueTrial(trialId: number, owner: string): Promise<void> {
		return this.#write(`requeueing trial ${trialId}`, () => {
			existingTrial(this.path, trialId, this.#lease(trialId));
			this.#statements.requeue.run({id: trialId, owner});
		});
	}

	async importSweep(sweep: SweepRecord, trials: TrialRecord[], steps: StoredStep[], checkpoints: SweepCheckpoint[] = []): Promise<SweepRecord> {
		return this.#write(`importing sweep "${sweep.name}"`, () => {
			const existing = this.#statements.sweepByName.get(sweep.name) as SweepRow | undefined;
			checkSameImport(this.path, existing, sweep, 'file');
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
			let insert: Database.Statement | undefined;
			for (const trial of trials) {
				const row = importedTrialRow(sweepId, trial, encodeReal);
				insert ??= this.#db.prepare(insertTrialRow(row, (column) => `@${column}`));
				ids.set(trial.id, (insert.get(row) as {id: number}).id);
			}

			for (const step of steps) {
				const trialId = ids.get(step.trialId);
				if (trialId !== undefined) {
					this.#insertStep(trialId, step);
				}
			}

			for (const checkpoint of checkpoints) {
				const trialId = ids.get(checkpoint.trialId);
				if (trialId !== undefined) {
					const {data} = checkpoint;
					this.#statements.upsertCheckpoint.run({id: trialId, kind: checkpoint.kind, epoch: checkpoint.epoch, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), createdAt: checkpoint.createdAt});
				}
			}

			// Trials went in pending so their steps and checkpoints could follow; finished ones become immutable now.
			for (const trial of trials) {
				if (FINISHED_STATES.includes(trial.state)) {
					this.#statements.recordOutcome.run({id: ids.get(trial.id)});
				}

				this.#statements.setState.run({id: ids.get(trial.id), state: trial.state});
			}

			return toSweep(this.#statements.sweepByName.get(sweep.name) as SweepRow);
		});
	}

	async trials(sweepId: number): Promise<TrialRecord[]> {
		return this.#read(`reading the trials of sweep ${sweepId}`, () =>
			// Row by row: a sweep of 50,000 trials never holds its raw rows and its records at once.
			Array.from(this.#statements.trialsOfSweep.iterate(sweepId) as Iterable<SqliteTrialRow>, row => toTrial(row, decodeReal)),
		);
	}

	async steps(sweepId: number, options: {afterId?: number} = {}): Promise<StoredStep[]> {
		return this.#read(`reading the steps of sweep ${sweepId}`, () =>
			toSteps(this.#statements.stepsOfSweep.all({sweepId, afterId: options.afterId ?? 0}) as SqliteStepRow[], decodeReal),
		);
	}

	async stepSummaries(sweepId: number): Promise<StepSummary[]> {
		return this.#read(`reading the step summaries of sweep ${sweepId}`, () =>
			(this.#statements.stepSummaries.all({sweepId}) as Array<StepSummaryRow<Real>>).map(row => toStepSummary(row, decodeReal)),
		);
	}

	async trial(trialId: number): Promise<TrialRecord | undefined> {
		return this.#read(`reading trial ${trialId}`, () => {
			const row = this.#statements.trialById.get(trialId) as SqliteTrialRow | undefined;
			return row && toTrial(row, decodeReal);
		});
	}

	async trialSteps(trialIds: readonly number[]): Promise<StoredStep[]> {
		return this.#read(`reading the steps of trials ${trialIds.slice(0, 5).join(', ')}${trialIds.length > 5 ? ', ...' : ''}`, () =>
			toSteps(this.#statements.stepsOfTrials.all(JSON.stringify(trialIds)) as SqliteStepRow[], decodeReal),
		);
	}

	async trialsChangedSince(sinceMs: number): Promise<TrialRecord[]> {
		return this.#read('reading the trials changed lately', () =>
			(this.#statements.trialsChangedSince.all({since: sinceMs, sinceIso: new Date(sinceMs).toISOString()}) as SqliteTrialRow[]).map(row => toTrial(row, decodeReal)),
		);
	}

	async rankConfigs(sweepId: number, query: RankQuery): Promise<RankedPage> {
		return this.#read(`ranking the configs of sweep ${sweepId}`, () => {
			const statement = rankingSql('sqlite', sweepId, query);
			if (statement.joined) {
				const page = decodeRanking(this.#db.prepare(statement.sql).iterate(sqliteParams(statement)) as Iterable<Record<string, unknown>>);
				const probe = page.configs.length === 0 ? totalsProbe(query) : undefined;
				return probe ? {...totalsOf(this.#all(rankingSql('sqlite', sweepId, probe))[0]), configs: []} : page;
			}

			const ranked = this.#all(statement);
			const probe = ranked.length === 0 ? totalsProbe(query) : undefined;
			if (probe) {
				return {...totalsOf(this.#all(rankingSql('sqlite', sweepId, probe))[0]), configs: []};
			}

			if (ranked.length === 0) {
				return decodeRanking(ranked);
			}

			const rows = this.#all(rowsSql('sqlite', sweepId, ranked.map(row => String(row.config_hash))));
			return decodeRanking(ranked, new Map(rows.map(row => [String(row.config_hash), row])));
		});
	}

	async configMeans(sweepId: number, query: Pick<RankQuery, 'metric' | 'margin' | 'relativeMargin'>, keys: readonly string[]): Promise<Array<{config: TrialParams; value: number}>> {
		return this.#read(`reading the configs' means of sweep ${sweepId}`, () => decodeMeans(this.#all(configMeansSql('sqlite', sweepId, query, keys)), keys));
	}

	async configValues(sweepId: number, key: string, limit: number): Promise<string[]> {
		return this.#read(`reading the values of ${key} in sweep ${sweepId}`, () => this.#all(configValuesSql('sqlite', sweepId, key, limit)).map(row => String(row.value)));
	}

	async trialsOf(sweepId: number, filter: {configHashes?: readonly string[]; active?: boolean}): Promise<TrialRecord[]> {
		return this.#read(`reading trials of sweep ${sweepId}`, () =>
			(this.#statements.trialsOf.all({sweepId, hashes: JSON.stringify(filter.configHashes ?? []), active: filter.active ? 1 : 0}) as SqliteTrialRow[])
				.map(row => toTrial(row, decodeReal)),
		);
	}

	async sweepActivity(sweepId: number, baseEpochs: number | null): Promise<SweepActivity> {
		return this.#read(`summing the trials of sweep ${sweepId}`, () => decodeActivity(this.#all(sweepActivitySql('sqlite', sweepId, baseEpochs))[0]));
	}

	async close(): Promise<void> {
		if (this.#db.open) {
			this.#db.close();
		}
	}

	#insertStep(trialId: number, step: StepRecord): void {
		const {id} = this.#statements.insertStep.get({trialId, step: step.step, seconds: encodeReal(step.seconds)}) as {id: number};
		for (const [name, value] of Object.entries(step.metrics)) {
			this.#statements.insertMetric.run({stepId: id, name, value: encodeReal(value)});
		}
	}

	#all(statement: NamedSql): Array<Record<string, unknown>> {
		return this.#db.prepare(statement.sql).all(sqliteParams(statement)) as Array<Record<string, unknown>>;
	}

	#iso(): string {
		return new Date(this.#now()).toISOString();
	}

	#lease(trialId: number): Lease | undefined {
		return this.#statements.leaseOf.get(trialId) as Lease | undefined;
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
			throw readOnly(this.path, doing);
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
	if (!needsMigration(path, version(), SCHEMA_VERSION, readonly)) {
		return SCHEMA_VERSION;
	}

	db.transaction(() => {
		// Another process may have migrated between the first look and taking the write lock.
		const from = version();
		needsMigration(path, from, SCHEMA_VERSION, false);
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
		// The lowest ordinal of the first waiting trial (the partial index trials_claimable) and the first orphaned
		// running one (few: the running trials of the sweep), rather than one OR that scans every trial of the sweep.
		claimable: db.prepare(`
			SELECT id FROM (
				SELECT * FROM (SELECT id, ordinal FROM trials WHERE sweep_id = @sweepId AND state IN ('pending', 'interrupted') ORDER BY ordinal, id LIMIT 1)
				UNION ALL
				SELECT * FROM (
					SELECT id, ordinal FROM trials
					WHERE sweep_id = @sweepId AND state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < @expiredBefore)
					ORDER BY ordinal, id LIMIT 1
				)
			)
			ORDER BY ordinal, id LIMIT 1`),
		// A new attempt starts clean: nothing of the earlier attempt's outcome survives beside the deleted epochs.
		claim: db.prepare(`
			UPDATE trials SET state = 'running', owner = @owner, heartbeat_at = @now, started_at = @startedAt,
				attempts = attempts + 1, finished_at = NULL, epochs_run = @epochsRun, test_loss = NULL, test_accuracy = NULL,
				train_seconds = NULL, error = NULL, stop_reason = NULL, backend = NULL, training_path = NULL, host = NULL, cores = NULL,
				param_count = NULL, final_metrics = NULL, log_path = NULL
			WHERE id = @id`),
		deleteStepsAfter: db.prepare('DELETE FROM steps WHERE trial_id = @id AND step > @keep'),
		checkpointEpoch: db.prepare(`SELECT epoch FROM checkpoints WHERE trial_id = ? AND kind = 'resume'`),
		checkpointOf: db.prepare('SELECT epoch, data, created_at FROM checkpoints WHERE trial_id = @id AND kind = @kind'),
		checkpointsOfSweep: db.prepare('SELECT c.trial_id, c.kind, c.epoch, c.data, c.created_at FROM checkpoints c JOIN trials t ON t.id = c.trial_id WHERE t.sweep_id = ? ORDER BY c.trial_id, c.kind'),
		upsertCheckpoint: db.prepare(`
			INSERT INTO checkpoints (trial_id, kind, epoch, data, created_at) VALUES (@id, @kind, @epoch, @data, @createdAt)
			ON CONFLICT (trial_id, kind) DO UPDATE SET epoch = excluded.epoch, data = excluded.data, created_at = excluded.created_at`),
		deleteCheckpoint: db.prepare('DELETE FROM checkpoints WHERE trial_id = @id AND kind = @kind'),
		epochsRunOf: db.prepare('SELECT epochs_run FROM trials WHERE id = ?'),
		resetEpochsRun: db.prepare('UPDATE trials SET epochs_run = 0 WHERE id = ?'),
		trialById: db.prepare('SELECT * FROM trials WHERE id = ?'),
		leaseOf: db.prepare('SELECT state, owner FROM trials WHERE id = ?'),
		markStarted: db.prepare(`
			UPDATE trials SET backend = @backend, training_path = @trainingPath, host = @host, cores = @cores, param_count = @paramCount,
				heartbeat_at = @now
			WHERE id = @id`),
		lastStep: db.prepare('SELECT max(step) AS last FROM steps WHERE trial_id = ?'),
		insertStep: db.prepare('INSERT INTO steps (trial_id, step, seconds) VALUES (@trialId, @step, @seconds) RETURNING id'),
		insertMetric: db.prepare('INSERT INTO metrics (step_id, name, value) VALUES (@stepId, @name, @value)'),
		stepRecorded: db.prepare('UPDATE trials SET epochs_run = epochs_run + 1, heartbeat_at = @now WHERE id = @id'),
		heartbeat: db.prepare(`UPDATE trials SET heartbeat_at = @now WHERE id = @id AND owner = @owner AND state = 'running'`),
		finish: db.prepare(`
			UPDATE trials SET state = @state, finished_at = @finishedAt, owner = NULL, heartbeat_at = NULL,
				test_loss = @testLoss, test_accuracy = @testAccuracy, final_metrics = @finalMetrics, train_seconds = @trainSeconds,
				error = @error, stop_reason = @stopReason, log_path = @logPath
			WHERE id = @id`),
		requeue: db.prepare(`
			UPDATE trials SET state = 'pending', owner = NULL, heartbeat_at = NULL
			WHERE id = @id AND owner = @owner AND state = 'running'`),
		deleteTrialsOfSweep: db.prepare('DELETE FROM trials WHERE sweep_id = ?'),
		setState: db.prepare('UPDATE trials SET state = @state WHERE id = @id'),
		recordOutcome: db.prepare(recordOutcomeSql('@id')),
		setFinalMetrics: db.prepare('UPDATE trials SET final_metrics = @finalMetrics WHERE id = @id'),
		stepSummaries: db.prepare(stepSummariesSql('@sweepId')),
		trialsOfSweep: db.prepare('SELECT * FROM trials WHERE sweep_id = ? ORDER BY ordinal, id'),
		trialsOf: db.prepare(`SELECT * FROM trials WHERE sweep_id = @sweepId
			AND (config_hash IN (SELECT value FROM json_each(@hashes)) OR (@active AND state IN ('pending', 'running', 'interrupted') AND epochs_run > 0)) ORDER BY ordinal, id`),
		stepsOfTrials: db.prepare(`
			SELECT s.id, s.trial_id, s.step, s.seconds, m.name, m.value FROM steps s
			LEFT JOIN metrics m ON m.step_id = s.id
			WHERE s.trial_id IN (SELECT value FROM json_each(?)) ORDER BY s.trial_id, s.step, m.name`),
		// ISO 8601 texts of one format compare as their times do.
		trialsChangedSince: db.prepare(`
			SELECT * FROM trials WHERE heartbeat_at >= @since OR started_at >= @sinceIso OR finished_at >= @sinceIso ORDER BY id`),
		stepsOfSweep: db.prepare(`
			SELECT s.id, s.trial_id, s.step, s.seconds, m.name, m.value FROM steps s
			JOIN trials t ON t.id = s.trial_id
			LEFT JOIN metrics m ON m.step_id = s.id
			WHERE t.sweep_id = @sweepId AND s.id > @afterId ORDER BY s.id, m.name`),
	};
}
