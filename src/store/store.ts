/**
 * The storage interface: sweeps, their trials and every step (a built-in trial's epochs are its steps) with its
 * named metrics. Only the main thread writes; workers stream steps to it. Async so that a PostgreSQL implementation (claims via SELECT ... FOR UPDATE SKIP LOCKED)
 * can sit behind the same interface as the synchronous SQLite one.
 */
import type {MetricSpec, StepRecord, SweepDefinition, TrialOutcome, TrialParams, TrialSpec, TrialState} from '../types.js';
import {StoreError} from '../errors.js';

export interface SweepRecord {
	id: number;
	name: string;
	definition: SweepDefinition;
	definitionHash: string;
	/** The sweep file text, kept so a report can show exactly what was run. */
	source: string;
	file: string;
	/** ISO 8601. */
	createdAt: string;
}

export interface TrialRecord {
	id: number;
	sweepId: number;
	ordinal: number;
	config: TrialParams;
	configHash: string;
	repeat: number;
	seed: number;
	state: TrialState;
	/** How many times the trial has been claimed. */
	attempts: number;
	/** Who holds the lease while running; null otherwise. */
	owner: string | null;
	/** Epoch milliseconds of the last sign of life while running. */
	heartbeatAt: number | null;
	backend: string | null;
	trainingPath: string | null;
	host: string | null;
	/** Cores of the host that trained it (with host and backend: where the time went). */
	cores: number | null;
	paramCount: number | null;
	/** ISO 8601, of the latest attempt. */
	startedAt: string | null;
	finishedAt: string | null;
	epochsRun: number;
	/** The final metrics test_loss and test_accuracy (the built-in trainer reports both), for reports and SQL. */
	testLoss: number | null;
	testAccuracy: number | null;
	/** Every final metric reported without a step (empty when none). */
	finalMetrics: Record<string, number>;
	trainSeconds: number | null;
	error: string | null;
	/** Why a trial stopped before its last epoch without failing (early stopping, a pruner). */
	stopReason: string | null;
	/** Program trials: the file their output went to. */
	logPath: string | null;
}

/**
 * 'resume': a running trial's newest training state, to continue it after a crash or a lost lease (deleted when the
 * trial finishes). 'weights': a finished trial's final weights, kept with keepBestWeights for export.
 */
export type CheckpointKind = 'resume' | 'weights';

export interface StoredCheckpoint {
	kind: CheckpointKind;
	/** The epoch the state follows. */
	epoch: number;
	/** src/train/checkpoint.ts' format; the store keeps the bytes as they are. */
	data: Uint8Array;
	/** ISO 8601. */
	createdAt: string;
}

/** A checkpoint with its trial, as a sweep is copied (Store.checkpoints, Store.importSweep). */
export interface SweepCheckpoint extends StoredCheckpoint {
	trialId: number;
}

export interface StoredStep extends StepRecord {
	/** Grows with every step recorded in the database: a cursor for readers that follow a sweep. */
	id: number;
	trialId: number;
}

/**
 * What a finished trial's steps come to, for ranking: worked out by the store when the trial finishes (the
 * trial_outcome view of migration 007) and kept, so ranking a sweep reads its trials rather than every step.
 * src/report/leaderboard.ts summariseTrial is the same rule over steps in memory.
 */
export interface StepSummary {
	trialId: number;
	/** The best finite value of the sweep's metric by its goal; null when no step has one. */
	bestValue: number | null;
	/** The step of bestValue (the first on ties). */
	bestStep: number | null;
	/** src/report/convergence.ts' converged epoch over the finite val_loss; null without one. */
	convergedStep: number | null;
	/** Sum of the finite step seconds up to and including bestStep (0 when none is timed); null without a best step. */
	secondsToBest: number | null;
	/** Sum and count of the finite step seconds. */
	stepSeconds: number;
	timedSteps: number;
	/**
	 * The finite value of the sweep's metric at the step the trial's final metric test_epoch names (the weights its
	 * test_accuracy is of); null without a test_epoch or a finite value there.
	 */
	testedValue: number | null;
}

/** Mean and sample standard deviation (0 for a single value; NaN for none) of `n` finite values. */
export interface Spread {
	mean: number;
	std: number;
	n: number;
}

/** One config of a sweep with its repeats aggregated. */
export interface ConfigRow {
	configHash: string;
	config: TrialParams;
	/** Trials of this config (repeats), and how many completed. */
	trials: number;
	completed: number;
	states: Partial<Record<TrialState, number>>;
	/** Best value of the sweep's metric (by its goal) of each completed trial: what configs are ranked by. */
	value: Spread;
	/** The final metric test_accuracy (the built-in trainer reports it). */
	testAccuracy: Spread;
	/**
	 * The epoch (step) whose weights test_accuracy is of (report/leaderboard.ts testedEpochOf): the last one, or the
	 * best one early stopping restored, which need not be the step `value` is from.
	 */
	testedEpoch: Spread;
	/** The metric at testedEpoch: the validation numbers of the very weights test_accuracy is of. */
	testedValue: Spread;
	/** Step (epoch) of the best value. */
	bestEpoch: Spread;
	/** Epoch the trial converged at (src/report/convergence.ts). */
	convergedEpoch: Spread;
	epochsRun: Spread;
	/** Sum of the step seconds up to and including the best step: what training would cost had it stopped there. */
	secondsToBest: Spread;
	/** Wall seconds spent training and validating the whole trial. */
	trainSeconds: Spread;
	/** trainSeconds / epochsRun of each trial. */
	secondsPerEpoch: Spread;
	paramCount: number | null;
	backends: string[];
}

export interface RankedRow extends ConfigRow {
	/**
	 * 1-based competition rank by the mean best value of the metric; tied configs share the rank of the first of
	 * them (1, 2, 2, 4). Null for a config without a finite value.
	 */
	rank: number | null;
	/** Shares its rank with at least one other config (report/ranking.ts tied). */
	tied: boolean;
	/** Not dominated on (mean metric better, mean training seconds down). */
	pareto: boolean;
}

/** Leaderboard columns a page can be sorted by (a mean where the column is a spread), or `param:<swept key>`. */
export const RANK_SORTS = ['rank', 'value', 'testAccuracy', 'paramCount', 'epochsRun', 'convergedEpoch', 'bestEpoch', 'secondsToBest', 'trainSeconds', 'secondsPerEpoch', 'trials'] as const;

/** Which of a sweep's ranked configs to read (Store.rankConfigs). */
export type RankSelection =
	/** Every config, best first. */
	| {kind: 'all'}
	/** These configs (unknown hashes have no row), best first. */
	| {kind: 'configs'; hashes: readonly string[]}
	/**
	 * What the charts draw: the `top` best configs, the Pareto front, the fastest config within the margin and its
	 * ties, and an even sample by rank of about `sample` configs; best first.
	 */
	| {kind: 'chart'; top: number; sample: number}
	/**
	 * One page of the leaderboard: configs with a trial in `state`, whose swept values are those of `params` (by key,
	 * the values as Store.configValues gives them, any of them), sorted by a RANK_SORTS column or `param:<key>`
	 * (configs without a value last whichever the direction, then by rank), `limit` of them after `offset`.
	 */
	| {kind: 'page'; sort: string; descending: boolean; state?: TrialState; params: Record<string, readonly string[]>; offset: number; limit: number};

export interface RankQuery {
	metric: MetricSpec;
	/** For fastestWithinMargin: a fraction of the best value when `relativeMargin`, else in the metric's own units. */
	margin: number;
	relativeMargin: boolean;
	select: RankSelection;
}

/** A config as the store ranks it, with its place in the whole sweep's ranking. */
export interface RankedConfig {
	row: RankedRow;
	/** 1-based place in the ranking (best first; configs without a value last, by config hash). */
	position: number;
	/** Both its mean value and training time are finite: a point of the trade-off chart. */
	usable: boolean;
	/** Within the margin of the best config's value. */
	withinMargin: boolean;
	/** The fastest config within the margin (the best-ranked of equally fast ones). */
	fastest: boolean;
	/** Within the margin, and its training time and the fastest one's are within their repeats' spread. */
	fastestTie: boolean;
	/**
	 * Completed trials without the final metric test_epoch (recorded before the trainer reported it): their tested
	 * epoch is early stopping replayed on their steps, which report/data.ts does; the row's testedEpoch and
	 * testedValue leave them out.
	 */
	replayed: number;
}

export interface RankedPage {
	/** Configs the selection matched (for 'page': before the offset and limit). */
	total: number;
	/** Configs the selection matched with a finite value (a rank), and with a finite value and training time (for 'page': after the filters; else of the whole sweep). */
	ranked: number;
	usable: number;
	configs: RankedConfig[];
}

/** How a sweep's trials have gone so far, summed by the store (for the dashboard's progress and ETA). */
export interface SweepActivity {
	/** Sum and count of the finite step seconds of the finished trials (their step summaries). */
	stepSeconds: number;
	timedSteps: number;
	/** ISO 8601: the first start of any trial, the last finish of a finished one; null when none. */
	firstStartedAt: string | null;
	lastFinishedAt: string | null;
	/** Finished trials (not pending, running or interrupted) with a finish time. */
	ended: number;
	/** Epochs the unfinished trials have left: each one's planned epochs (its config's `epochs`, else `baseEpochs`) less those run. */
	remainingEpochs: number;
	/** Trials that have recorded a step. */
	withSteps: number;
}

export interface SweepStatus {
	sweep: SweepRecord;
	total: number;
	/** Every state is present, zero when no trial is in it. */
	counts: Record<TrialState, number>;
}

/**
 * The trial is no longer running under the caller's owner: its lease expired and someone else claimed it,
 * it was requeued, or it already finished. The caller must drop its work on those trials; it never gets to
 * write them again.
 */
export class LeaseLostError extends StoreError {
	readonly trialIds: number[];

	constructor(message: string, trialIds: number[], options?: {cause?: unknown}) {
		super(message, options);
		this.trialIds = trialIds;
	}
}

/**
 * Every method rejects with a StoreError (never a driver error) when the database cannot be read or written:
 * locked past the busy timeout, read-only, closed, corrupt. Each call is one transaction: when its promise
 * resolves the write is committed. Trials move pending -> running -> finished state; 'interrupted' and an
 * expired lease make a trial claimable again; a finished trial (FINISHED_STATES) is never modified.
 */
export interface Store {
	/**
	 * Create the sweep named `definition.name`, or return the existing one when its definitionHash matches.
	 * @throws StoreError when the name exists with a different definitionHash (rename the sweep or use another --db).
	 */
	openSweep(input: {definition: SweepDefinition; definitionHash: string; source: string; file: string}): Promise<SweepRecord>;

	getSweep(name: string): Promise<SweepRecord | undefined>;

	/** Every sweep, oldest first, with its trial counts per state. */
	listSweeps(): Promise<SweepStatus[]>;

	/**
	 * Insert the specs not yet present (UNIQUE(sweep, configHash, repeat)); existing trials are left untouched.
	 * @returns how many were new.
	 * @throws StoreError when the sweep does not exist.
	 */
	addTrials(sweepId: number, specs: TrialSpec[]): Promise<number>;

	/**
	 * Atomically take the lowest-ordinal trial that is pending or interrupted, or running with a heartbeat
	 * older than now - leaseMs; set it running under `owner` with heartbeat and startedAt now, attempts + 1,
	 * and delete the outcome and the steps left by an earlier attempt, except those up to its 'resume'
	 * checkpoint, which it continues from (epochsRun is then the checkpoint's epoch).
	 * @returns the claimed trial, or undefined when none is claimable.
	 */
	claimTrial(sweepId: number, owner: string, leaseMs: number): Promise<TrialRecord | undefined>;

	/**
	 * Record backend, training path, host (and its cores) and parameter count once the worker has built the model;
	 * refreshes the heartbeat.
	 * @throws LeaseLostError when the trial is not running under `owner`. StoreError when it does not exist.
	 */
	markStarted(trialId: number, owner: string, info: {backend: string; trainingPath: string; host: string; paramCount: number; cores?: number}): Promise<void>;

	/**
	 * Insert one step with its metrics, refresh the heartbeat and bump epochsRun. NaN and +/-Infinity metrics are
	 * kept as such.
	 * @throws LeaseLostError when the trial is not running under `owner`. StoreError when it does not exist, or the
	 * step number is not a positive integer above every step the trial already has.
	 */
	recordStep(trialId: number, owner: string, step: StepRecord): Promise<void>;

	/**
	 * Refresh the heartbeat of every listed trial still running under `owner` (those are updated even when
	 * some are not).
	 * @throws LeaseLostError listing (in `trialIds`) the trials no longer running under `owner`.
	 */
	heartbeat(trialIds: number[], owner: string): Promise<void>;

	/**
	 * Store a checkpoint of a running trial, replacing the one of the same kind. A 'resume' checkpoint must
	 * follow an epoch already recorded.
	 * @throws LeaseLostError when the trial is not running under `owner`. StoreError when it does not exist, or
	 * for a 'resume' checkpoint past its recorded epochs.
	 */
	saveCheckpoint(trialId: number, owner: string, checkpoint: {kind: CheckpointKind; epoch: number; data: Uint8Array}): Promise<void>;

	/** The trial's checkpoint of that kind, or undefined. */
	loadCheckpoint(trialId: number, kind: CheckpointKind): Promise<StoredCheckpoint | undefined>;

	/**
	 * The running trial could not continue from its 'resume' checkpoint (damaged, or of another training path):
	 * delete it and the epochs kept with it, so the trial trains from its first epoch.
	 * @throws LeaseLostError when the trial is not running under `owner`. StoreError when it does not exist.
	 */
	discardCheckpoint(trialId: number, owner: string): Promise<void>;

	/**
	 * running -> outcome.state (a finished state, or 'interrupted' which makes it claimable again); clears the
	 * owner and records finishedAt, the outcome's final metrics, training seconds, error, stop reason and log path.
	 * A finished trial's 'resume' checkpoint is deleted; an interrupted one keeps it.
	 * @throws LeaseLostError when the trial is not running under `owner` (including when it already finished).
	 * StoreError when it does not exist.
	 */
	finishTrial(trialId: number, owner: string, outcome: TrialOutcome): Promise<void>;

	/**
	 * running -> pending, e.g. for a trial whose owning process is known dead. A no-op unless the trial is
	 * running under `owner`, so it can never disturb a trial someone else has since claimed or finished.
	 * @throws StoreError when the trial does not exist.
	 */
	requeueTrial(trialId: number, owner: string): Promise<void>;

	/** Every checkpoint of the sweep's trials (running trials' resume checkpoints, kept weights), to copy the sweep. */
	checkpoints(sweepId: number): Promise<SweepCheckpoint[]>;

	/**
	 * Copy a sweep with its trials, steps and checkpoints as they are (states, owners, hosts, outcomes, kept weights;
	 * new ids), e.g. from PostgreSQL into a SQLite file to take home. A sweep of that name with the same
	 * definitionHash is replaced by the copy, so exporting again refreshes it.
	 * @throws StoreError when the name exists with a different definitionHash.
	 */
	importSweep(sweep: SweepRecord, trials: TrialRecord[], steps: StoredStep[], checkpoints?: SweepCheckpoint[]): Promise<SweepRecord>;

	/** The sweep's trials by ordinal. */
	trials(sweepId: number): Promise<TrialRecord[]>;

	/**
	 * The sweep's steps in the order they were recorded (by id; within a trial that is step order), each with its
	 * metrics; with `afterId`, only those recorded after that step (a reader's cursor).
	 */
	steps(sweepId: number, options?: {afterId?: number}): Promise<StoredStep[]>;

	/** The step summaries of the sweep's finished trials (FINISHED_STATES), by trial id. */
	stepSummaries(sweepId: number): Promise<StepSummary[]>;

	/** One trial by id, or undefined. */
	trial(trialId: number): Promise<TrialRecord | undefined>;

	/** The steps of these trials (of any sweeps) with their metrics, ordered by trial id then step; unknown ids have none. */
	trialSteps(trialIds: readonly number[]): Promise<StoredStep[]>;

	/**
	 * The trials (of every sweep) claimed, heartbeating, recording an epoch or finished at or after `sinceMs`
	 * (epoch milliseconds on the writers' clocks), by id: what a live view polls for. A trial sent back to pending
	 * (requeued) or newly added carries no time and is not included.
	 */
	trialsChangedSince(sinceMs: number): Promise<TrialRecord[]>;

	/**
	 * The sweep's configs ranked by the database (sql/<dialect>/queries/config-ranking.sql and config-rows.sql, the
	 * rule of report/ranking.ts), from the step summaries of its finished trials: what `best`, the reports and the
	 * dashboard show. Only the selected configs are read into memory.
	 */
	rankConfigs(sweepId: number, query: RankQuery): Promise<RankedPage>;

	/**
	 * The swept values (`keys` of the config) and mean value of each config that has one, best first, as
	 * rankConfigs ranks them: what parameter importance is fitted to.
	 */
	configMeans(sweepId: number, query: Pick<RankQuery, 'metric' | 'margin' | 'relativeMargin'>, keys: readonly string[]): Promise<Array<{config: TrialParams; value: number}>>;

	/**
	 * The distinct values of a swept key over the sweep's configs, as JSON text the way this database writes it
	 * (what a RankSelection 'page' filters by), at most `limit` of them; configs without the key have none.
	 */
	configValues(sweepId: number, key: string, limit: number): Promise<string[]>;

	/** The trials of these configs and, with `active`, the unfinished trials that have recorded a step, by ordinal. */
	trialsOf(sweepId: number, filter: {configHashes?: readonly string[]; active?: boolean}): Promise<TrialRecord[]>;

	/** Sums over the sweep's trials for its progress; `baseEpochs` is the planned epochs of a config that does not say. */
	sweepActivity(sweepId: number, baseEpochs: number | null): Promise<SweepActivity>;

	/** Idempotent; any later call rejects with StoreError. */
	close(): Promise<void>;
}
