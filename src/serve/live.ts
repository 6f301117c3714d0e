/**
 * Live updates: one poller reads what changed in the database since its cursor and pushes it to the open pages
 * as Server-Sent Events, so a page never re-downloads a sweep to learn about one new epoch.
 *
 * The cursor is a time in milliseconds on the writers' clocks (a trial's heartbeat, start and finish times move
 * with every claim, epoch and outcome). Each poll asks for the trials changed since the last poll minus
 * LOOKBACK_MS, which covers a write that committed just after a poll read the clock, and drops what it has
 * already pushed, so every event carries only new epochs and state changes. A page that reconnects (or opens
 * from a snapshot) sends the cursor it has and gets the trials changed since then in full.
 */
import {bestStepIndex, stepsByTrial} from '../report/leaderboard.js';
import type {Store, SweepStatus, TrialRecord} from '../store/store.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import {sweepMetric, type TrialState} from '../types.js';
import {plannedEpochs, thin} from './model.js';

export const LOOKBACK_MS = 10_000;
export const DEFAULT_POLL_MS = 500;

/** One trial as an event carries it: enough to update a table row and extend its curve. */
export interface TrialChange {
	id: number;
	sweep: string;
	config: string;
	configHash: string;
	state: TrialState;
	epochsRun: number;
	/** Planned epochs, null when the trial's parameters do not say. */
	epochs: number | null;
	/** The trial's steps replace what the page has (a new attempt, or a catch-up); otherwise they extend it. `accuracy` holds the sweep metric's value. */
	reset: boolean;
	points: Array<{epoch: number; accuracy: number | null}>;
}

export interface LiveClient {
	/** Only changes of this sweep; every sweep's counts regardless. */
	sweep?: string;
	send(event: string, data: unknown, id?: string): void;
}

interface Seen {
	state: TrialState;
	epochsRun: number;
	attempts: number;
}

export class LiveFeed {
	readonly #store: Store;
	readonly #pollMs: number;
	readonly #clients = new Set<LiveClient>();
	readonly #seen = new Map<number, Seen>();
	/** Bumped per sweep whenever something of it changes; the dashboard's caches key on it. */
	readonly #versions = new Map<string, number>();
	#counts = new Map<string, string>();
	#cursor: number;
	#timer: NodeJS.Timeout | undefined;
	#polling: Promise<void> | undefined;
	#onError: (error: unknown) => void;

	constructor(store: Store, options: {pollMs?: number; onError?: (error: unknown) => void} = {}) {
		this.#store = store;
		this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
		this.#cursor = Date.now();
		this.#onError = options.onError ?? (() => undefined);
	}

	/** The cursor a snapshot taken now is consistent with. */
	get cursor(): number {
		return this.#cursor;
	}

	version(sweep: string): number {
		return this.#versions.get(sweep) ?? 0;
	}

	start(): void {
		const loop = () => {
			this.#polling = this.poll().catch(this.#onError).finally(() => {
				if (this.#timer !== undefined) {
					this.#timer = setTimeout(loop, this.#pollMs);
				}
			});
		};

		this.#timer = setTimeout(loop, 0);
	}

	async stop(): Promise<void> {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		await this.#polling;
	}

	subscribe(client: LiveClient): () => void {
		this.#clients.add(client);
		return () => this.#clients.delete(client);
	}

	/** Catch a page up from its cursor: every trial of its sweep changed since then, with all its (thinned) epochs. */
	async catchUp(client: LiveClient, cursor: number): Promise<void> {
		const statuses = await this.#store.listSweeps();
		const trials = (await this.#store.trialsChangedSince(cursor - LOOKBACK_MS)).filter(trial => sweepName(statuses, trial) === client.sweep);
		const changes = await this.#changes(statuses, trials.map(trial => ({trial, reset: true, after: 0})));
		if (changes.length > 0) {
			client.send('trials', {cursor: this.#cursor, trials: changes}, String(this.#cursor));
		}
	}

	/** One round: read the changes since the cursor, push them, move the cursor. Exposed for tests. */
	async poll(): Promise<void> {
		const now = Date.now();
		const statuses = await this.#store.listSweeps();
		const changed = await this.#store.trialsChangedSince(this.#cursor - LOOKBACK_MS);
		const fresh: Array<{trial: TrialRecord; reset: boolean; after: number}> = [];
		for (const trial of changed) {
			const seen = this.#seen.get(trial.id);
			if (seen && seen.state === trial.state && seen.epochsRun === trial.epochsRun && seen.attempts === trial.attempts) {
				continue;
			}

			const reset = !seen || seen.attempts !== trial.attempts;
			fresh.push({trial, reset, after: reset ? 0 : seen.epochsRun});
			this.#seen.set(trial.id, {state: trial.state, epochsRun: trial.epochsRun, attempts: trial.attempts});
		}

		// Forget trials that have been quiet for a while, so the map holds the active ones only.
		if (this.#seen.size > 10_000) {
			const active = new Set(changed.map(trial => trial.id));
			for (const id of this.#seen.keys()) {
				if (!active.has(id)) {
					this.#seen.delete(id);
				}
			}
		}

		const counts = new Map(statuses.map(status => [status.sweep.name, JSON.stringify([status.sweep.id, status.total, status.counts])]));
		const recounted = statuses.filter(status => this.#counts.get(status.sweep.name) !== counts.get(status.sweep.name));
		const countsChanged = recounted.length > 0 || counts.size !== this.#counts.size;
		this.#counts = counts;
		this.#cursor = now;
		const changes = await this.#changes(statuses, fresh);
		const bySweep = new Map<string, TrialChange[]>();
		for (const change of changes) {
			bySweep.set(change.sweep, [...(bySweep.get(change.sweep) ?? []), change]);
		}

		for (const sweep of bySweep.keys()) {
			this.#versions.set(sweep, this.version(sweep) + 1);
		}

		// New pending trials and requeues change the counts without a timestamp: those sweeps' caches go stale too.
		for (const status of recounted) {
			this.#versions.set(status.sweep.name, this.version(status.sweep.name) + 1);
		}

		const id = String(now);
		for (const client of this.#clients) {
			const own = client.sweep === undefined ? undefined : bySweep.get(client.sweep);
			if (own) {
				client.send('trials', {cursor: now, trials: own}, id);
			}

			if (countsChanged) {
				client.send('counts', {cursor: now, sweeps: statuses.map(status => ({name: status.sweep.name, total: status.total, counts: status.counts}))}, id);
			}
		}
	}

	async #changes(statuses: readonly SweepStatus[], items: ReadonlyArray<{trial: TrialRecord; reset: boolean; after: number}>): Promise<TrialChange[]> {
		if (items.length === 0) {
			return [];
		}

		const byTrial = stepsByTrial(await this.#store.trialSteps(items.map(item => item.trial.id)));
		return items.flatMap(({trial, reset, after}) => {
			const status = statuses.find(candidate => candidate.sweep.id === trial.sweepId);
			if (!status) {
				return [];
			}

			const metric = sweepMetric(status.sweep.definition);
			const history = byTrial.get(trial.id) ?? [];
			const points = (reset ? thin(history, bestStepIndex(history, metric)) : history.filter(step => step.step > after)).map(step => {
				const value = step.metrics[metric.name];
				return {epoch: step.step, accuracy: value !== undefined && Number.isFinite(value) ? value : null};
			});
			return [{
				id: trial.id,
				sweep: status.sweep.name,
				config: describeConfig(trial.config, sweptKeys(status.sweep.definition), status.sweep.definition.parameters),
				configHash: trial.configHash,
				state: trial.state,
				epochsRun: trial.epochsRun,
				epochs: plannedEpochs(trial.config),
				reset,
				points,
			}];
		});
	}
}

function sweepName(statuses: readonly SweepStatus[], trial: TrialRecord): string | undefined {
	return statuses.find(status => status.sweep.id === trial.sweepId)?.sweep.name;
}
