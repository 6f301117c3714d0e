/**
 * The PostgreSQL Store (node-postgres), for sweeps that run on several hosts against one database. Claims take
 * the next trial with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers never wait on each other's rows;
 * every owner-scoped write locks its trial row and checks the lease in the same transaction. Leases are timed
 * by the database server's clock, so hosts with skewed clocks still agree on when a lease expired.
 * double precision holds NaN and +/-Infinity natively; node-postgres sends and parses them as such.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import pg from 'pg';
import {FINISHED_STATES, type StepRecord, type SweepDefinition, type TrialOutcome, type TrialParams, type TrialSpec, type TrialState} from '../types.js';
import {StoreError, SweeplabError} from '../errors.js';
import {
	checkCheckpointEpoch, checkHeartbeats, checkLease, checkOutcome, checkSameImport, checkSameSweep, checkStepNumber, closed, existingTrial, type Lease,
	needsMigration, noSuchSweep, readOnly,
} from './guards.js';
import {loadMigrations} from './migrations.js';
import {configMeansSql, configValuesSql, decodeActivity, decodeMeans, decodeRanking, type NamedSql, rankingSql, rowsSql, sweepActivitySql, toPositional, totalsOf, totalsProbe} from './ranking.js';
import {describeError, firstConnectionError, isConflict, isConnectionError, oneLine, redactUrl, storeError} from './pg-connection.js';
import {
	encodeMetrics, finalMetric, importedTrialRow, insertTrialRow, recordOutcomeSql, type StepMetricRow, stepSummariesSql, type StepSummaryRow, type SweepRow, toStepSummary,
	type CheckpointRow, toCheckpoint, toSteps, toSweep, toSweepCheckpoint, toSweepStatuses, toTrial, type TrialRow,
} from './rows.js';
import type {CheckpointKind, RankedPage, RankQuery, StepSummary, Store, SweepActivity, StoredCheckpoint, StoredStep, SweepCheckpoint, SweepRecord, SweepStatus, TrialRecord} from './store.js';

export interface PostgresStoreOptions {
	/** Every write rejects with StoreError. */
	readonly?: boolean;
	/** Keep the tables in this schema (created when missing) instead of the connection's default, e.g. one per test. */
	schema?: string;
	/** How long one call keeps retrying while the database is unreachable before it gives up. Default 300000. */
	reconnectMs?: number;
	/** First retry delay; doubles up to 5 s. Default 250. */
	retryDelayMs?: number;
	/** Connections this process opens at most. Default 4. */
	maxConnections?: number;
	/** Shown in pg_stat_activity. Default 'sweeplab'. */
	applicationName?: string;
}

export const DEFAULT_RECONNECT_MS = 300_000;

/**
 * The same tables, triggers and views as the SQLite MIGRATIONS, numbered the same way, in PostgreSQL's dialect:
 * the files sql/postgres/NNN-*.sql.
 */
export const PG_MIGRATIONS: readonly string[] = loadMigrations('postgres');

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** bigint (int8) and numeric come back as strings by default; every such value here fits a double. */
const TYPES: pg.CustomTypesConfig = {
	getTypeParser: ((oid: number, format?: string) => {
		if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) {
			return (value: string) => Number(value);
		}

		return pg.types.getTypeParser(oid, format as 'text');
	}) as pg.CustomTypesConfig['getTypeParser'],
};

// double precision comes back as a number (NaN and infinities included) or null.
type PgTrialRow = TrialRow<number | null>;
type PgStepRow = StepMetricRow<number | null>;
const pgReal = (value: number | null): number | null => value;

/**
 * Open a PostgreSQL store. Connecting and migrating happen on the first call (the Store interface is async), so
 * connection problems surface there, as StoreError.
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
	return new PostgresStore(url, options);
}

type Client = pg.PoolClient;

export class PostgresStore implements Store {
	/** The URL without its password. */
	readonly url: string;
	readonly readonly: boolean;
	readonly #pool: pg.Pool;
	readonly #schema: string | undefined;
	readonly #reconnectMs: number;
	readonly #retryDelayMs: number;
	#ready: Promise<void> | undefined;
	#closed = false;
	/** Whether a connection ever succeeded: only then is an unreachable database worth waiting for. */
	#connected = false;

	constructor(url: string, options: PostgresStoreOptions = {}) {
		this.url = redactUrl(url);
		this.readonly = options.readonly ?? false;
		this.#schema = options.schema;
		if (this.#schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(this.#schema)) {
			throw new StoreError(`${this.url}: schema "${this.#schema}" is not a plain lower-case identifier; use letters, digits and _`);
		}

		this.#reconnectMs = options.reconnectMs ?? DEFAULT_RECONNECT_MS;
		this.#retryDelayMs = options.retryDelayMs ?? 250;
		try {
			this.#pool = new pg.Pool({
				connectionString: url,
				max: options.maxConnections ?? 4,
				connectionTimeoutMillis: 10_000,
				idleTimeoutMillis: 30_000,
				keepAlive: true,
				types: TYPES,
				application_name: options.applicationName ?? 'sweeplab',
				...(this.#schema === undefined ? {} : {options: `-c search_path=${this.#schema}`}),
			});
		} catch (error) {
			throw new StoreError(`${this.url}: not a usable PostgreSQL URL (${oneLine(String((error as Error).message))}); use postgres://user:password@host:5432/dbname`, {cause: error});
		}

		// An idle connection the server drops emits 'error' on the pool; unhandled, it would crash the process.
		// The next call notices on its own and reconnects.
		this.#pool.on('error', () => undefined);
	}

	/** Connect and bring the schema up to date; every other call does this first. */
	async ready(): Promise<void> {
		this.#ready ??= this.#migrate().catch((error: unknown) => {
			this.#ready = undefined;
			throw error;
		});
		return this.#ready;
	}

	async openSweep(input: {definition: SweepDefinition; definitionHash: string; source: string; file: string}): Promise<SweepRecord> {
		const {name} = input.definition;
		return this.#write(`opening sweep "${name}"`, async client => {
			const now = await serverNow(client);
			// Two hosts may open the same sweep at once: the loser of the insert reads the winner's row.
			await client.query(
				`INSERT INTO sweeps (name, definition, definition_hash, source, file, created_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (name) DO NOTHING`,
				[name, JSON.stringify(input.definition), input.definitionHash, input.source, input.file, new Date(now).toISOString()],
			);
			const existing = (await client.query<SweepRow>('SELECT * FROM sweeps WHERE name = $1', [name])).rows[0];
			checkSameSweep(this.url, existing, {name, ...input});
			return toSweep(existing);
		});
	}

	async getSweep(name: string): Promise<SweepRecord | undefined> {
		return this.#read(`reading sweep "${name}"`, async client => {
			const row = (await client.query<SweepRow>('SELECT * FROM sweeps WHERE name = $1', [name])).rows[0];
			return row && toSweep(row);
		});
	}

	async listSweeps(): Promise<SweepStatus[]> {
		return this.#read('listing sweeps', async client =>
			toSweepStatuses(
				(await client.query<SweepRow>('SELECT * FROM sweeps ORDER BY id')).rows,
				(await client.query<{sweep_id: number; state: TrialState; n: number}>('SELECT sweep_id, state, count(*)::integer AS n FROM trials GROUP BY sweep_id, state')).rows,
			),
		);
	}

	async addTrials(sweepId: number, specs: TrialSpec[]): Promise<number> {
		return this.#write(`adding trials to sweep ${sweepId}`, async client => {
			if ((await client.query('SELECT 1 FROM sweeps WHERE id = $1', [sweepId])).rowCount === 0) {
				throw noSuchSweep(this.url, sweepId);
			}

			// One statement for the whole batch: a sweep of thousands of trials is one round trip, not thousands.
			const result = await client.query(
				`INSERT INTO trials (sweep_id, ordinal, config, config_hash, repeat, seed)
				SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::integer[], $6::bigint[])
				ON CONFLICT (sweep_id, config_hash, repeat) DO NOTHING`,
				[
					sweepId,
					specs.map(spec => spec.ordinal),
					specs.map(spec => JSON.stringify(spec.config)),
					specs.map(spec => spec.configHash),
					specs.map(spec => spec.repeat),
					specs.map(spec => spec.seed),
				],
			);
			return result.rowCount ?? 0;
		});
	}

	async claimTrial(sweepId: number, owner: string, leaseMs: number): Promise<TrialRecord | undefined> {
		return this.#write(`claiming a trial of sweep ${sweepId}`, async client => {
			const now = await serverNow(client);
			// SKIP LOCKED: a row another worker is claiming or writing right now is simply not a candidate.
			const candidate = (
				await client.query<{id: number}>(
					`SELECT id FROM trials
					WHERE sweep_id = $1 AND (
						state IN ('pending', 'interrupted')
						OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $2))
					)
					ORDER BY ordinal, id LIMIT 1
					FOR UPDATE SKIP LOCKED`,
					[sweepId, now - leaseMs],
				)
			).rows[0];
			if (!candidate) {
				return undefined;
			}

			// Steps up to the resume checkpoint stay: the trial continues after them.
			const keep = (await client.query<{epoch: number}>(`SELECT epoch FROM checkpoints WHERE trial_id = $1 AND kind = 'resume'`, [candidate.id])).rows[0]?.epoch ?? 0;
			await client.query('DELETE FROM steps WHERE trial_id = $1 AND step > $2', [candidate.id, keep]);
			await client.query(`DELETE FROM checkpoints WHERE trial_id = $1 AND kind = 'weights'`, [candidate.id]);
			const row = (
				await client.query<PgTrialRow>(
					`UPDATE trials SET state = 'running', owner = $2, heartbeat_at = $3, started_at = $4,
						attempts = attempts + 1, finished_at = NULL, epochs_run = $5, test_loss = NULL, test_accuracy = NULL,
						train_seconds = NULL, error = NULL, stop_reason = NULL, backend = NULL, training_path = NULL, host = NULL, cores = NULL,
						param_count = NULL, final_metrics = NULL, log_path = NULL
					WHERE id = $1 RETURNING *`,
					[candidate.id, owner, now, new Date(now).toISOString(), keep],
				)
			).rows[0];
			return toTrial(row, pgReal);
		});
	}

	async markStarted(trialId: number, owner: string, info: {backend: string; trainingPath: string; host: string; paramCount: number; cores?: number}): Promise<void> {
		return this.#write(`marking trial ${trialId} started`, async client => {
			checkLease(this.url, trialId, owner, await this.#lease(client, trialId));
			await client.query(
				`UPDATE trials SET backend = $2, training_path = $3, host = $4, param_count = $5, cores = $6, heartbeat_at = $7 WHERE id = $1`,
				[trialId, info.backend, info.trainingPath, info.host, info.paramCount, info.cores ?? null, await serverNow(client)],
			);
		});
	}

	async recordStep(trialId: number, owner: string, step: StepRecord): Promise<void> {
		return this.#write(`recording step ${step.step} of trial ${trialId}`, async (client, retry) => {
			checkLease(this.url, trialId, owner, await this.#lease(client, trialId));
			const {last} = (await client.query<{last: number | null}>('SELECT max(step) AS last FROM steps WHERE trial_id = $1', [trialId])).rows[0];
			// On a retry the lost connection may have carried our own commit away: the lease is still ours and only
			// this owner writes this attempt's steps, so the row is the one we sent.
			if (retry && last === step.step) {
				return;
			}

			checkStepNumber(this.url, trialId, step.step, last);
			await insertStep(client, trialId, step);
			await client.query('UPDATE trials SET epochs_run = epochs_run + 1, heartbeat_at = $2 WHERE id = $1', [trialId, await serverNow(client)]);
		});
	}

	async saveCheckpoint(trialId: number, owner: string, checkpoint: {kind: CheckpointKind; epoch: number; data: Uint8Array}): Promise<void> {
		return this.#write(`storing the ${checkpoint.kind} checkpoint of trial ${trialId} after epoch ${checkpoint.epoch}`, async client => {
			checkLease(this.url, trialId, owner, await this.#lease(client, trialId));
			const {epochs_run: epochsRun} = (await client.query<{epochs_run: number}>('SELECT epochs_run FROM trials WHERE id = $1', [trialId])).rows[0];
			checkCheckpointEpoch(this.url, trialId, checkpoint.kind, checkpoint.epoch, epochsRun);
			const {data} = checkpoint;
			// An upsert: a retry after a lost connection writes the same row again.
			await client.query(
				`INSERT INTO checkpoints (trial_id, kind, epoch, data, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (trial_id, kind) DO UPDATE SET epoch = excluded.epoch, data = excluded.data, created_at = excluded.created_at`,
				[trialId, checkpoint.kind, checkpoint.epoch, Buffer.from(data.buffer, data.byteOffset, data.byteLength), new Date(await serverNow(client)).toISOString()],
			);
		});
	}

	async loadCheckpoint(trialId: number, kind: CheckpointKind): Promise<StoredCheckpoint | undefined> {
		return this.#read(`reading the ${kind} checkpoint of trial ${trialId}`, async client => {
			const row = (await client.query<CheckpointRow>('SELECT kind, epoch, data, created_at FROM checkpoints WHERE trial_id = $1 AND kind = $2', [trialId, kind])).rows[0];
			return row && toCheckpoint(row);
		});
	}

	async checkpoints(sweepId: number): Promise<SweepCheckpoint[]> {
		return this.#read(`reading the checkpoints of sweep ${sweepId}`, async client =>
			(await client.query<CheckpointRow & {trial_id: number}>(
				'SELECT c.trial_id, c.kind, c.epoch, c.data, c.created_at FROM checkpoints c JOIN trials t ON t.id = c.trial_id WHERE t.sweep_id = $1 ORDER BY c.trial_id, c.kind',
				[sweepId],
			)).rows.map(toSweepCheckpoint),
		);
	}

	async discardCheckpoint(trialId: number, owner: string): Promise<void> {
		return this.#write(`discarding the checkpoint of trial ${trialId}`, async client => {
			checkLease(this.url, trialId, owner, await this.#lease(client, trialId));
			await client.query(`DELETE FROM checkpoints WHERE trial_id = $1 AND kind = 'resume'`, [trialId]);
			await client.query('DELETE FROM steps WHERE trial_id = $1', [trialId]);
			await client.query('UPDATE trials SET epochs_run = 0 WHERE id = $1', [trialId]);
		});
	}

	async heartbeat(trialIds: number[], owner: string): Promise<void> {
		if (trialIds.length === 0) {
			return;
		}

		const held = await this.#write(`refreshing the heartbeat of trials ${trialIds.join(', ')}`, async client => {
			const now = await serverNow(client);
			const result = await client.query<{id: number}>(
				`UPDATE trials SET heartbeat_at = $3 WHERE id = ANY($1::integer[]) AND owner = $2 AND state = 'running' RETURNING id`,
				[trialIds, owner, now],
			);
			return new Set(result.rows.map(row => row.id));
		});
		checkHeartbeats(this.url, owner, trialIds, id => held.has(id));
	}

	async finishTrial(trialId: number, owner: string, outcome: TrialOutcome): Promise<void> {
		return this.#write(`finishing trial ${trialId} as ${outcome.state}`, async (client, retry) => {
			checkOutcome(this.url, trialId, outcome.state);
			if (retry) {
				// Our first attempt may have committed before the connection dropped.
				const row = (await client.query<Lease>('SELECT state, owner FROM trials WHERE id = $1', [trialId])).rows[0];
				if (row?.state === outcome.state && row.owner === null) {
					return;
				}
			}

			checkLease(this.url, trialId, owner, await this.#lease(client, trialId));
			if (FINISHED_STATES.includes(outcome.state)) {
				await client.query(`DELETE FROM checkpoints WHERE trial_id = $1 AND kind = 'resume'`, [trialId]);
				// The outcome's tested value reads test_epoch from the trial's final metrics.
				await client.query('UPDATE trials SET final_metrics = $2 WHERE id = $1', [trialId, encodeMetrics(outcome.metrics)]);
				await client.query(recordOutcomeSql('$1'), [trialId]);
			}

			await client.query(
				`UPDATE trials SET state = $2, finished_at = $3, owner = NULL, heartbeat_at = NULL,
					test_loss = $4, test_accuracy = $5, train_seconds = $6, error = $7, stop_reason = $8, final_metrics = $9, log_path = $10
				WHERE id = $1`,
				[
					trialId, outcome.state, new Date(await serverNow(client)).toISOString(), finalMetric(outcome.metrics, 'test_loss'),
					finalMetric(outcome.metrics, 'test_accuracy'), outcome.trainSeconds ?? null, outcome.error ?? null, outcome.stopReason ?? null,
					encodeMetrics(outcome.metrics), outcome.logPath ?? null,
				],
			);
		});
	}

	async requeueTrial(trialId: number, owner: string): Promise<void> {
		return this.#write(`requeueing trial ${trialId}`, async client => {
			existingTrial(this.url, trialId, await this.#lease(client, trialId));
			await client.query(
				`UPDATE trials SET state = 'pending', owner = NULL, heartbeat_at = NULL WHERE id = $1 AND owner = $2 AND state = 'running'`,
				[trialId, owner],
			);
		});
	}

	async importSweep(sweep: SweepRecord, trials: TrialRecord[], steps: StoredStep[], checkpoints: SweepCheckpoint[] = []): Promise<SweepRecord> {
		return this.#write(`importing sweep "${sweep.name}"`, async client => {
			const existing = (await client.query<SweepRow>('SELECT * FROM sweeps WHERE name = $1 FOR UPDATE', [sweep.name])).rows[0];
			checkSameImport(this.url, existing, sweep, 'database');
			let sweepId: number;
			if (existing) {
				sweepId = existing.id;
				await client.query('DELETE FROM trials WHERE sweep_id = $1', [sweepId]);
			} else {
				sweepId = (
					await client.query<{id: number}>(
						'INSERT INTO sweeps (name, definition, definition_hash, source, file, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
						[sweep.name, JSON.stringify(sweep.definition), sweep.definitionHash, sweep.source, sweep.file, sweep.createdAt],
					)
				).rows[0].id;
			}

			const ids = new Map<number, number>();
			for (const trial of trials) {
				const row = importedTrialRow(sweepId, trial, real => real);
				const {rows} = await client.query<{id: number}>(insertTrialRow(row, (_, index) => `$${index + 1}`), Object.values(row));
				ids.set(trial.id, rows[0].id);
			}

			for (const step of steps) {
				const trialId = ids.get(step.trialId);
				if (trialId !== undefined) {
					await insertStep(client, trialId, step);
				}
			}

			for (const checkpoint of checkpoints) {
				const trialId = ids.get(checkpoint.trialId);
				if (trialId !== undefined) {
					const {data} = checkpoint;
					await client.query(
						'INSERT INTO checkpoints (trial_id, kind, epoch, data, created_at) VALUES ($1, $2, $3, $4, $5)',
						[trialId, checkpoint.kind, checkpoint.epoch, Buffer.from(data.buffer, data.byteOffset, data.byteLength), checkpoint.createdAt],
					);
				}
			}

			// Trials went in pending so their steps and checkpoints could follow; their states are set last (finished ones become immutable).
			for (const trial of trials) {
				if (FINISHED_STATES.includes(trial.state)) {
					await client.query(recordOutcomeSql('$1'), [ids.get(trial.id)]);
				}

				await client.query('UPDATE trials SET state = $2 WHERE id = $1', [ids.get(trial.id), trial.state]);
			}

			return toSweep((await client.query<SweepRow>('SELECT * FROM sweeps WHERE id = $1', [sweepId])).rows[0]);
		});
	}

	async trials(sweepId: number): Promise<TrialRecord[]> {
		return this.#read(`reading the trials of sweep ${sweepId}`, async client =>
			(await client.query<PgTrialRow>('SELECT * FROM trials WHERE sweep_id = $1 ORDER BY ordinal, id', [sweepId])).rows.map(row => toTrial(row, pgReal)),
		);
	}

	async steps(sweepId: number, options: {afterId?: number} = {}): Promise<StoredStep[]> {
		return this.#read(`reading the steps of sweep ${sweepId}`, async client =>
			toSteps(
				(
					await client.query<PgStepRow>(
						`SELECT s.id, s.trial_id, s.step, s.seconds, m.name, m.value FROM steps s
						JOIN trials t ON t.id = s.trial_id
						LEFT JOIN metrics m ON m.step_id = s.id
						WHERE t.sweep_id = $1 AND s.id > $2 ORDER BY s.id, m.name`,
						[sweepId, options.afterId ?? 0],
					)
				).rows,
				pgReal,
			),
		);
	}

	async stepSummaries(sweepId: number): Promise<StepSummary[]> {
		return this.#read(`reading the step summaries of sweep ${sweepId}`, async client =>
			(await client.query<StepSummaryRow<number | null>>(stepSummariesSql('$1'), [sweepId])).rows.map(row => toStepSummary(row, pgReal)),
		);
	}

	async trial(trialId: number): Promise<TrialRecord | undefined> {
		return this.#read(`reading trial ${trialId}`, async client => {
			const row = (await client.query<PgTrialRow>('SELECT * FROM trials WHERE id = $1', [trialId])).rows[0];
			return row && toTrial(row, pgReal);
		});
	}

	async trialSteps(trialIds: readonly number[]): Promise<StoredStep[]> {
		return this.#read(`reading the steps of trials ${trialIds.slice(0, 5).join(', ')}${trialIds.length > 5 ? ', ...' : ''}`, async client =>
			toSteps(
				(
					await client.query<PgStepRow>(
						`SELECT s.id, s.trial_id, s.step, s.seconds, m.name, m.value FROM steps s
						LEFT JOIN metrics m ON m.step_id = s.id
						WHERE s.trial_id = ANY($1::integer[]) ORDER BY s.trial_id, s.step, m.name`,
						[[...trialIds]],
					)
				).rows,
				pgReal,
			),
		);
	}

	async trialsChangedSince(sinceMs: number): Promise<TrialRecord[]> {
		return this.#read('reading the trials changed lately', async client =>
			(
				await client.query<PgTrialRow>(
					'SELECT * FROM trials WHERE heartbeat_at >= $1 OR started_at >= $2 OR finished_at >= $2 ORDER BY id',
					[sinceMs, new Date(sinceMs).toISOString()],
				)
			).rows.map(row => toTrial(row, pgReal)),
		);
	}

	async rankConfigs(sweepId: number, query: RankQuery): Promise<RankedPage> {
		return this.#read(`ranking the configs of sweep ${sweepId}`, async client => {
			const all = async (statement: NamedSql) => {
				const {text, values} = toPositional(statement);
				return (await client.query<Record<string, unknown>>(text, values)).rows;
			};

			const statement = rankingSql('postgres', sweepId, query);
			const ranked = await all(statement);
			const probe = ranked.length === 0 ? totalsProbe(query) : undefined;
			if (probe) {
				return {...totalsOf((await all(rankingSql('postgres', sweepId, probe)))[0]), configs: []};
			}

			if (statement.joined || ranked.length === 0) {
				return decodeRanking(ranked);
			}

			const rows = await all(rowsSql('postgres', sweepId, ranked.map(row => String(row.config_hash))));
			return decodeRanking(ranked, new Map(rows.map(row => [String(row.config_hash), row])));
		});
	}

	async configMeans(sweepId: number, query: Pick<RankQuery, 'metric' | 'margin' | 'relativeMargin'>, keys: readonly string[]): Promise<Array<{config: TrialParams; value: number}>> {
		return this.#read(`reading the configs' means of sweep ${sweepId}`, async client => {
			const {text, values} = toPositional(configMeansSql('postgres', sweepId, query, keys));
			return decodeMeans((await client.query<Record<string, unknown>>(text, values)).rows, keys);
		});
	}

	async configValues(sweepId: number, key: string, limit: number): Promise<string[]> {
		return this.#read(`reading the values of ${key} in sweep ${sweepId}`, async client => {
			const {text, values} = toPositional(configValuesSql('postgres', sweepId, key, limit));
			return (await client.query<{value: string}>(text, values)).rows.map(row => row.value);
		});
	}

	async trialsOf(sweepId: number, filter: {configHashes?: readonly string[]; active?: boolean}): Promise<TrialRecord[]> {
		return this.#read(`reading trials of sweep ${sweepId}`, async client =>
			(
				await client.query<PgTrialRow>(
					`SELECT * FROM trials WHERE sweep_id = $1
					AND (config_hash = ANY($2::text[]) OR ($3 AND state IN ('pending', 'running', 'interrupted') AND epochs_run > 0)) ORDER BY ordinal, id`,
					[sweepId, [...(filter.configHashes ?? [])], filter.active === true],
				)
			).rows.map(row => toTrial(row, pgReal)),
		);
	}

	async sweepActivity(sweepId: number, baseEpochs: number | null): Promise<SweepActivity> {
		return this.#read(`summing the trials of sweep ${sweepId}`, async client => {
			const {text, values} = toPositional(sweepActivitySql('postgres', sweepId, baseEpochs));
			return decodeActivity((await client.query<Record<string, unknown>>(text, values)).rows[0]);
		});
	}

	async close(): Promise<void> {
		if (this.#closed) {
			return;
		}

		this.#closed = true;
		await this.#pool.end();
	}

	async #migrate(): Promise<void> {
		await this.#transaction('opening the database', true, async client => {
			// Several hosts may start at once against a new database: one migrates, the others wait for it.
			await client.query(`SELECT pg_advisory_xact_lock(hashtext('sweeplab-migrate'))`);
			if (this.#schema !== undefined && !this.readonly) {
				await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
			}

			const table = (await client.query<{name: string | null}>(`SELECT to_regclass('sweeplab_schema')::text AS name`)).rows[0].name;
			const current = table ? ((await client.query<{version: number}>('SELECT version FROM sweeplab_schema')).rows[0]?.version ?? 0) : 0;
			if (!needsMigration(this.url, current, PG_SCHEMA_VERSION, this.readonly)) {
				return;
			}

			if (!table) {
				await client.query('CREATE TABLE sweeplab_schema (version integer NOT NULL)');
				await client.query('INSERT INTO sweeplab_schema (version) VALUES (0)');
			}

			for (const migration of PG_MIGRATIONS.slice(current)) {
				await client.query(migration);
			}

			await client.query('UPDATE sweeplab_schema SET version = $1', [PG_SCHEMA_VERSION]);
		});
	}

	async #lease(client: Client, trialId: number): Promise<Lease | undefined> {
		// FOR UPDATE: a claim racing this write either sees it committed or skips the row; never both writing.
		return (await client.query<Lease>('SELECT state, owner FROM trials WHERE id = $1 FOR UPDATE', [trialId])).rows[0];
	}

	async #read<T>(doing: string, body: (client: Client, retry: boolean) => Promise<T>): Promise<T> {
		await this.#open(doing);
		return this.#transaction(doing, false, body);
	}

	async #write<T>(doing: string, body: (client: Client, retry: boolean) => Promise<T>): Promise<T> {
		if (this.readonly) {
			throw readOnly(this.url, doing);
		}

		await this.#open(doing);
		return this.#transaction(doing, true, body);
	}

	async #open(doing: string): Promise<void> {
		if (this.#closed) {
			throw closed(this.url, doing);
		}

		await this.ready();
	}

	/**
	 * One transaction, retried while the database is unreachable (with backoff, up to reconnectMs from the first
	 * failure) or after a deadlock. `retry` tells the body that an earlier attempt may have committed unseen.
	 */
	async #transaction<T>(doing: string, write: boolean, body: (client: Client, retry: boolean) => Promise<T>): Promise<T> {
		let failingSince: number | undefined;
		let delay = this.#retryDelayMs;
		let retry = false;
		for (;;) {
			if (this.#closed) {
				throw closed(this.url, doing);
			}

			let client: Client | undefined;
			let broken = false;
			try {
				client = await this.#pool.connect();
				this.#connected = true;
				// A checked-out client has no listener of the pool's: a connection cut between two queries would emit
				// an unhandled 'error' and crash the process. The query in flight (or the next) fails on its own.
				client.on('error', ignoreClientError);
				await client.query(write ? 'BEGIN' : 'BEGIN READ ONLY');
				try {
					const result = await body(client, retry);
					await client.query('COMMIT');
					return result;
				} catch (error) {
					await client.query('ROLLBACK').catch(() => undefined);
					throw error;
				}
			} catch (error) {
				broken = isConnectionError(error);
				if (error instanceof SweeplabError) {
					throw error;
				}

				if (this.#closed) {
					throw closed(this.url, doing, {cause: error});
				}

				if (!broken && !isConflict(error)) {
					throw storeError(this.url, doing, error);
				}

				// A first connection that fails is a wrong URL or a server that is not there: say so now. Waiting
				// (below) is for a database that was working and dropped, as a restart or a network blip does.
				if (broken && !this.#connected) {
					throw firstConnectionError(this.url, error);
				}

				failingSince ??= Date.now();
				if (Date.now() - failingSince >= this.#reconnectMs) {
					throw new StoreError(
						`${this.url}: ${doing}: the database has been unreachable for ${Math.round((Date.now() - failingSince) / 1000)} s (${oneLine(describeError(error))}); giving up. Trials this process held go back to the queue when their lease expires`,
						{cause: error},
					);
				}

				retry ||= broken;
				await sleep(delay);
				delay = Math.min(delay * 2, 5000);
			} finally {
				// A broken connection is destroyed rather than handed to the next call.
				client?.removeListener('error', ignoreClientError);
				client?.release(broken ? true : undefined);
			}
		}
	}

}

function ignoreClientError(): void {}

/** One step and its metrics (all in one statement: a step may carry many). */
async function insertStep(client: Client, trialId: number, step: StepRecord): Promise<void> {
	const {id} = (await client.query<{id: number}>('INSERT INTO steps (trial_id, step, seconds) VALUES ($1, $2, $3) RETURNING id', [trialId, step.step, step.seconds ?? null])).rows[0];
	const names = Object.keys(step.metrics);
	if (names.length > 0) {
		await client.query('INSERT INTO metrics (step_id, name, value) SELECT $1, * FROM unnest($2::text[], $3::float8[])', [id, names, names.map(name => step.metrics[name])]);
	}
}

/** Epoch milliseconds by the database server's clock: the one clock every host shares. */
async function serverNow(client: Client): Promise<number> {
	return (await client.query<{now: number}>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now')).rows[0].now;
}
