/**
 * Rows as both SQL stores return them, and their mapping to records. `R` is how a REAL metric column comes
 * back: SQLite gives a number, the text 'NaN' or null; PostgreSQL a number (NaN included) or null. Each store
 * passes its own decoder.
 */
import type {SweepDefinition, TrialState} from '../types.js';
import {builtinConfig, FINISHED_STATES, TRIAL_STATES} from '../types.js';
import type {CheckpointKind, StepSummary, StoredCheckpoint, StoredStep, SweepCheckpoint, SweepRecord, SweepStatus, TrialRecord} from './store.js';

export interface SweepRow {
	id: number;
	name: string;
	definition: string;
	definition_hash: string;
	source: string;
	file: string;
	created_at: string;
}

export interface TrialRow<R> {
	id: number;
	sweep_id: number;
	ordinal: number;
	config: string;
	config_hash: string;
	repeat: number;
	seed: number;
	state: TrialState;
	attempts: number;
	owner: string | null;
	heartbeat_at: number | null;
	backend: string | null;
	training_path: string | null;
	host: string | null;
	cores: number | null;
	param_count: number | null;
	started_at: string | null;
	finished_at: string | null;
	epochs_run: number;
	test_loss: R;
	test_accuracy: R;
	train_seconds: R;
	error: string | null;
	stop_reason: string | null;
	final_metrics: string | null;
	log_path: string | null;
}

/** One metric of one step, as the stores read steps: a step without metrics comes once with a null name. */
export interface StepMetricRow<R> {
	id: number;
	trial_id: number;
	step: number;
	seconds: R;
	name: string | null;
	value: R;
}

/** A finished trial's step summary columns (migration 007). */
export interface StepSummaryRow<R> {
	id: number;
	best_value: R;
	best_step: number | null;
	converged_step: number | null;
	seconds_to_best: R;
	step_seconds: R;
	timed_steps: number | null;
	tested_value: R;
}

export type RealDecoder<R> = (value: R) => number | null;

/**
 * Built-in configs stored before a config key existed lack it: they trained with its default (sweep/hash.ts,
 * HASH_NEUTRAL_KEYS). Program sweeps' params are free-form and stay as stored. A trial's config is filled where it is
 * used as a TrialConfig (builtinConfig), since a trial row does not say which kind of sweep it belongs to.
 */
function withConfigDefaults(definition: SweepDefinition): SweepDefinition {
	return definition.program ? definition : {...definition, base: builtinConfig(definition.base)};
}

export const toSweep = (row: SweepRow): SweepRecord => ({
	id: row.id,
	name: row.name,
	definition: withConfigDefaults(JSON.parse(row.definition) as SweepDefinition),
	definitionHash: row.definition_hash,
	source: row.source,
	file: row.file,
	createdAt: row.created_at,
});

export const toTrial = <R>(row: TrialRow<R>, real: RealDecoder<R>): TrialRecord => ({
	id: row.id,
	sweepId: row.sweep_id,
	ordinal: row.ordinal,
	config: JSON.parse(row.config) as TrialRecord['config'],
	configHash: row.config_hash,
	repeat: row.repeat,
	seed: row.seed,
	state: row.state,
	attempts: row.attempts,
	owner: row.owner,
	heartbeatAt: row.heartbeat_at,
	backend: row.backend,
	trainingPath: row.training_path,
	host: row.host,
	cores: row.cores,
	paramCount: row.param_count,
	startedAt: row.started_at,
	finishedAt: row.finished_at,
	epochsRun: row.epochs_run,
	testLoss: real(row.test_loss),
	testAccuracy: real(row.test_accuracy),
	trainSeconds: real(row.train_seconds),
	finalMetrics: decodeMetrics(row.final_metrics),
	error: row.error,
	stopReason: row.stop_reason,
	logPath: row.log_path,
});

export const toStepSummary = <R>(row: StepSummaryRow<R>, real: RealDecoder<R>): StepSummary => ({
	trialId: row.id,
	bestValue: real(row.best_value),
	bestStep: row.best_step,
	convergedStep: row.converged_step,
	secondsToBest: real(row.seconds_to_best),
	stepSeconds: real(row.step_seconds) ?? 0,
	timedSteps: row.timed_steps ?? 0,
	testedValue: real(row.tested_value),
});

/**
 * Keep on a trial about to finish (still running: a finished one is immutable) what its steps come to, from the
 * trial_outcome view; `id` is the dialect's placeholder for the trial id.
 */
export const recordOutcomeSql = (id: string): string => `UPDATE trials SET (best_value, best_step, converged_step, seconds_to_best, step_seconds, timed_steps, tested_value) = (
	SELECT o.best_value, o.best_step, o.converged_step, o.seconds_to_best, o.step_seconds, o.timed_steps, o.tested_value FROM trial_outcome o WHERE o.trial_id = ${id}
) WHERE id = ${id}`;

/** The step summaries of a sweep's finished trials; `sweep` is the dialect's placeholder for the sweep id. */
export const stepSummariesSql = (sweep: string): string => `SELECT id, best_value, best_step, converged_step, seconds_to_best, step_seconds, timed_steps, tested_value FROM trials
	WHERE sweep_id = ${sweep} AND state IN (${FINISHED_STATES.map(state => `'${state}'`).join(', ')}) ORDER BY id`;

/** Rows of StepMetricRow in step-id order -> steps with their metrics. A metric stored as NULL reads as NaN. */
export function toSteps<R>(rows: ReadonlyArray<StepMetricRow<R>>, real: RealDecoder<R>): StoredStep[] {
	const steps: StoredStep[] = [];
	let current: StoredStep | undefined;
	for (const row of rows) {
		if (current?.id !== row.id) {
			const seconds = real(row.seconds);
			current = {id: row.id, trialId: row.trial_id, step: row.step, metrics: {}, ...(seconds !== null && {seconds})};
			steps.push(current);
		}

		if (row.name !== null) {
			current.metrics[row.name] = real(row.value) ?? Number.NaN;
		}
	}

	return steps;
}

/** Final metrics as JSON text: JSON has no NaN or infinities, so those go in as the strings "NaN", "Infinity", "-Infinity". */
export function encodeMetrics(metrics: Record<string, number> | undefined): string | null {
	if (!metrics || Object.keys(metrics).length === 0) {
		return null;
	}

	return JSON.stringify(Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, Number.isFinite(value) ? value : String(value)])));
}

export function decodeMetrics(text: string | null): Record<string, number> {
	if (text === null) {
		return {};
	}

	return Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, number | string>).map(([name, value]) => [name, Number(value)]));
}

/** A final metric the store also keeps in a column of its own (test_loss, test_accuracy), or null. */
export const finalMetric = (metrics: Record<string, number> | undefined, name: string): number | null => metrics?.[name] ?? null;

/** Every sweep, with its trial counts per state (every state present, zero when no trial is in it). */
export function toSweepStatuses(sweeps: SweepRow[], counts: Array<{sweep_id: number; state: TrialState; n: number}>): SweepStatus[] {
	const statuses = sweeps.map(row => ({
		sweep: toSweep(row),
		total: 0,
		counts: Object.fromEntries(TRIAL_STATES.map(state => [state, 0])) as Record<TrialState, number>,
	}));
	const byId = new Map(statuses.map(status => [status.sweep.id, status]));
	for (const {sweep_id: sweepId, state, n} of counts) {
		const status = byId.get(sweepId);
		if (status) {
			status.counts[state] = n;
			status.total += n;
		}
	}

	return statuses;
}

/**
 * A copied trial as importSweep inserts it, keyed by column; `real` encodes a metric for the store. It goes in
 * pending so its steps can follow; the store sets its real state last (a finished trial is immutable).
 */
export const importedTrialRow = <R>(sweepId: number, trial: TrialRecord, real: (value: number | null) => R) => ({
	sweep_id: sweepId,
	ordinal: trial.ordinal,
	config: JSON.stringify(trial.config),
	config_hash: trial.configHash,
	repeat: trial.repeat,
	seed: trial.seed,
	state: 'pending',
	attempts: trial.attempts,
	owner: trial.owner,
	heartbeat_at: trial.heartbeatAt,
	backend: trial.backend,
	training_path: trial.trainingPath,
	host: trial.host,
	cores: trial.cores ?? null,
	param_count: trial.paramCount,
	started_at: trial.startedAt,
	finished_at: trial.finishedAt,
	epochs_run: trial.epochsRun,
	test_loss: real(trial.testLoss),
	test_accuracy: real(trial.testAccuracy),
	train_seconds: real(trial.trainSeconds),
	error: trial.error,
	stop_reason: trial.stopReason ?? null,
	final_metrics: encodeMetrics(trial.finalMetrics),
	log_path: trial.logPath ?? null,
});

/** The INSERT for rows of importedTrialRow, with the dialect's placeholder for each column. */
export function insertTrialRow(row: Record<string, unknown>, placeholder: (column: string, index: number) => string): string {
	const columns = Object.keys(row);
	return `INSERT INTO trials (${columns.join(', ')}) VALUES (${columns.map(placeholder).join(', ')}) RETURNING id`;
}

/** A checkpoints row as both stores return it (the bytes as a Buffer). */
export interface CheckpointRow {
	kind: CheckpointKind;
	epoch: number;
	data: Buffer;
	created_at: string;
}

export function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
	return {kind: row.kind, epoch: row.epoch, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength), createdAt: row.created_at};
}

export function toSweepCheckpoint(row: CheckpointRow & {trial_id: number}): SweepCheckpoint {
	return {trialId: row.trial_id, ...toCheckpoint(row)};
}
