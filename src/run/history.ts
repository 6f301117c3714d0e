import type {PrunerPeer, PrunerTrial} from '../pruners/pruner.js';
import type {SamplerHistory} from '../samplers/next.js';
import type {Store} from '../store/store.js';
import {isUnfinished, type MetricSpec, type StepRecord, type TrialParams, type TrialState} from '../types.js';

interface Entry {
	ordinal: number;
	state: TrialState;
	config: TrialParams;
	steps: StepRecord[];
}

/**
 * What the pruners and the TPE sampler decide from: every trial of the sweep with its state and steps.
 * Read from the store (so trials of other processes count) and kept current with this process's own
 * steps as they stream in.
 */
export class SweepHistory implements SamplerHistory {
	private entries = new Map<number, Entry>();
	/** Trials this process is training: their steps here are ahead of the store's (writes are queued). */
	private readonly local = new Set<number>();

	constructor(private readonly store: Store, private readonly sweepId: number) {}

	/** Reload every trial and step from the store, except those this process is training. */
	async refresh(): Promise<void> {
		const [trials, steps] = await Promise.all([this.store.trials(this.sweepId), this.store.steps(this.sweepId)]);
		const entries = new Map<number, Entry>(trials.map(trial => [trial.id, {ordinal: trial.ordinal, state: trial.state, config: trial.config, steps: []}]));
		for (const {trialId, id: _id, ...step} of steps) {
			entries.get(trialId)?.steps.push(step);
		}

		for (const id of this.local) {
			const entry = this.entries.get(id);
			if (entry) {
				entries.set(id, entry);
			}
		}

		this.entries = entries;
	}

	get size(): number {
		return this.entries.size;
	}

	/** A claimed trial; `kept` steps of an earlier attempt stay (those up to the checkpoint it resumes from), the claim deleted the rest. */
	started(trial: {id: number; ordinal: number; config: TrialParams}, kept = 0): void {
		const steps = (this.entries.get(trial.id)?.steps ?? []).filter(step => step.step <= kept);
		this.entries.set(trial.id, {ordinal: trial.ordinal, state: 'running', config: trial.config, steps});
		this.local.add(trial.id);
	}

	addStep(trialId: number, record: StepRecord): void {
		this.entries.get(trialId)?.steps.push(record);
	}

	/** The trial's outcome, once this process has stored it. */
	setState(trialId: number, state: TrialState): void {
		const entry = this.entries.get(trialId);
		if (entry) {
			entry.state = state;
		}
	}

	/** This process no longer trains the trial: the next refresh takes it from the store. */
	release(trialId: number): void {
		this.local.delete(trialId);
	}

	steps(trialId: number): StepRecord[] {
		return this.entries.get(trialId)?.steps ?? [];
	}

	/** The trial as a pruner judges it. */
	prunerTrial(trial: {id: number; ordinal: number}): PrunerTrial {
		return {id: trial.id, ordinal: trial.ordinal, steps: this.steps(trial.id)};
	}

	/** Every other trial, for a pruner's comparison. */
	peers(except: number): PrunerPeer[] {
		return [...this.entries].filter(([id]) => id !== except).map(([id, entry]) => ({id, ordinal: entry.ordinal, state: entry.state, steps: entry.steps}));
	}

	/**
	 * TPE's observations: each finished trial's best value of the metric; a pruned or timed-out trial's best so far
	 * with the steps it ran (Optuna ranks pruned trials after completed ones, by their last step, then value);
	 * failed or diverged trials count as NaN, which ranks worst (Optuna leaves failed trials out; a diverged
	 * config is worth avoiding). And the configs of trials still running or waiting, for the constant liar.
	 */
	observations(metric: MetricSpec): {observations: Array<{config: TrialParams; value: number; stoppedAt?: number}>; pending: TrialParams[]} {
		const observations: Array<{config: TrialParams; value: number; stoppedAt?: number}> = [];
		const pending: TrialParams[] = [];
		for (const entry of this.entries.values()) {
			if (isUnfinished(entry.state)) {
				pending.push(entry.config);
			} else if (entry.state === 'completed') {
				observations.push({config: entry.config, value: bestValue(entry.steps, metric)});
			} else if (entry.state === 'pruned' || entry.state === 'timeout') {
				observations.push({config: entry.config, value: bestValue(entry.steps, metric), stoppedAt: entry.steps.length});
			} else {
				observations.push({config: entry.config, value: Number.NaN});
			}
		}

		return {observations, pending};
	}
}

/** The best finite value of the metric over the steps by its goal; NaN when there is none. */
function bestValue(steps: StepRecord[], metric: MetricSpec): number {
	const values = steps.map(step => step.metrics[metric.name]).filter(value => value !== undefined && Number.isFinite(value));
	if (values.length === 0) {
		return Number.NaN;
	}

	return metric.goal === 'minimize' ? Math.min(...values) : Math.max(...values);
}
