/**
 * The checks both stores make and the messages they give, written once. `where` starts every message: the
 * SQLite path or the PostgreSQL URL without its password. Each store reads the rows its own way and hands them
 * here.
 */
import type {TrialState} from '../types.js';
import {FINISHED_STATES, TRIAL_STATES} from '../types.js';
import {StoreError} from '../errors.js';
import type {SweepRow} from './rows.js';
import {LeaseLostError} from './store.js';

/** What a write needs to know of a trial to decide whether the caller still holds it. */
export interface Lease {
	state: TrialState;
	owner: string | null;
}

const OUTCOME_STATES: ReadonlySet<TrialState> = new Set(TRIAL_STATES.filter(state => state !== 'pending' && state !== 'running'));

/** The type already excludes pending and running; this guards callers that build outcomes from untyped messages. */
export function checkOutcome(where: string, trialId: number, state: TrialState): void {
	if (!OUTCOME_STATES.has(state)) {
		throw new StoreError(`${where}: cannot finish trial ${trialId} as "${state}"; use a finished state or "interrupted"`);
	}
}

/** @throws StoreError when the trial does not exist. */
export function existingTrial(where: string, trialId: number, lease: Lease | undefined): Lease {
	if (!lease) {
		throw new StoreError(`${where}: trial ${trialId} does not exist`);
	}

	return lease;
}

/**
 * Two processes must never both write a trial: every owner-scoped write reads the lease in its own transaction
 * and passes it here.
 * @throws LeaseLostError unless the trial is running under `owner`; StoreError when it does not exist.
 */
export function checkLease(where: string, trialId: number, owner: string, lease: Lease | undefined): void {
	const {state, owner: holder} = existingTrial(where, trialId, lease);
	if (state === 'running' && holder === owner) {
		return;
	}

	const why = FINISHED_STATES.includes(state)
		? `it is ${state} and a finished trial is never modified`
		: state === 'running'
			? `it is running under owner "${holder ?? '?'}" (its lease expired and was reclaimed, or it was never ours)`
			: `it is ${state}`;
	throw new LeaseLostError(`${where}: trial ${trialId} is no longer running under owner "${owner}": ${why}`, [trialId]);
}

/** Called once the held trials' heartbeats are committed: the caller still has to learn which ones it lost. */
export function checkHeartbeats(where: string, owner: string, trialIds: readonly number[], held: (trialId: number) => boolean): void {
	const lost = trialIds.filter(id => !held(id));
	if (lost.length > 0) {
		throw new LeaseLostError(
			`${where}: trials ${lost.join(', ')} are no longer running under owner "${owner}"; another process reclaimed them, they were requeued or they finished`,
			lost,
		);
	}
}

/** @throws StoreError when a sweep of that name exists with another definition. */
export function checkSameSweep(where: string, existing: SweepRow, input: {name: string; definitionHash: string; file: string}): void {
	if (existing.definition_hash !== input.definitionHash) {
		throw new StoreError(
			`${where}: sweep "${input.name}" already exists with a different definition (hash ${existing.definition_hash}, file ${existing.file}; now ${input.definitionHash}, file ${input.file}); rename the sweep or use another --db`,
		);
	}
}

/**
 * @param elsewhere what to copy into instead: 'file' or 'database'.
 * @throws StoreError when a sweep of that name exists with another definition than the copy's.
 */
export function checkSameImport(where: string, existing: SweepRow | undefined, copy: {name: string; definitionHash: string}, elsewhere: string): void {
	if (existing && existing.definition_hash !== copy.definitionHash) {
		throw new StoreError(
			`${where}: sweep "${copy.name}" already exists with a different definition (hash ${existing.definition_hash}; the copy has ${copy.definitionHash}); rename one or copy into another ${elsewhere}`,
		);
	}
}

export const noSuchSweep = (where: string, sweepId: number): StoreError =>
	new StoreError(`${where}: cannot add trials to sweep ${sweepId}: no such sweep; open it with openSweep first`);

/**
 * Steps are numbered 1, 2, ... and recorded once, in order.
 * @throws StoreError when `step` is not a positive integer above `last`, the trial's latest step (null: none yet).
 */
export function checkStepNumber(where: string, trialId: number, step: number, last: number | null): void {
	if (!Number.isInteger(step) || step < 1) {
		throw new StoreError(`${where}: trial ${trialId}: step ${step} is not a whole number from 1; steps are numbered 1, 2, ...`);
	}

	if (last !== null && step <= last) {
		throw new StoreError(`${where}: trial ${trialId} already has step ${last}; steps are recorded once each, in increasing order (next: ${last + 1} or more)`);
	}
}

/** @throws StoreError when a 'resume' checkpoint would follow an epoch that is not recorded (the epochs it keeps must exist). */
export function checkCheckpointEpoch(where: string, trialId: number, kind: string, epoch: number, epochsRun: number): void {
	if (!Number.isSafeInteger(epoch) || epoch < 0 || (kind === 'resume' && epoch > epochsRun)) {
		throw new StoreError(`${where}: trial ${trialId}: a ${kind} checkpoint after epoch ${epoch} cannot be stored with ${epochsRun} epochs recorded; checkpoints follow their epoch`);
	}
}

export const readOnly = (where: string, doing: string): StoreError => new StoreError(`${where}: ${doing}: the store was opened read-only`);

export const closed = (where: string, doing: string, options?: {cause?: unknown}): StoreError =>
	new StoreError(`${where}: ${doing}: the store is closed`, options);

/**
 * Whether a database at schema `current` needs migrating to `supported`.
 * @throws StoreError when it is newer than this code knows, or older and opened read-only.
 */
export function needsMigration(where: string, current: number, supported: number, readonly: boolean): boolean {
	if (current > supported) {
		throw new StoreError(`${where}: database schema v${current} is newer than this sweeplab supports (v${supported}); upgrade sweeplab`);
	}

	if (current === supported) {
		return false;
	}

	if (readonly) {
		// v0 is a database sweeplab never touched (an empty file, another program's SQLite): nothing to upgrade.
		throw new StoreError(
			current === 0
				? `${where}: not a sweeplab database (it has no sweeplab schema); point --db at a database that sweeplab run wrote`
				: `${where}: database schema v${current} is older than this sweeplab's v${supported}; open it once without read-only to upgrade it (any command that writes does, e.g. sweeplab report --all --db ${where})`,
		);
	}

	return true;
}
