import type {PrunerPeer, PrunerTrial} from '../pruners/pruner.js';
import type {SamplerHistory, SamplerObservation} from '../samplers/next.js';
import type {Store} from '../store/store.js';
import {isUnfinished, type MetricSpec, type StepRecord, type TrialParams, type TrialState} from '../types.js';
import {objectiveValue} from '../util/objectives.js';

interface Entry {
	ordinal: number;
	state: TrialState;
	config: TrialParams;
	steps: StepRecord[];
	/** What objectives other than reported metrics are read from (src/util/objectives.ts). */
	trainSeconds?: number | null;
	paramCount?: number | null;
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
		const entries = new Map<number, Entry>(trials.map(trial => [trial.id, {ordinal: trial.ordinal, state: trial.state, config: trial.config, steps: [], trainSeconds: trial.trainSeconds, paramCount: trial.paramCount}]));
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
		const earlier = this.entries.get(trial.id);
		const steps = (earlier?.steps ?? []).filter(step => step.step <= kept);
		this.entries.set(trial.id, {ordinal: trial.ordinal, state: 'running', config: trial.config, steps, paramCount: earlier?.paramCount});
		this.local.add(trial.id);
	}

	addStep(trialId: number, record: StepRecord): void {
		this.entries.get(trialId)?.steps.push(record);
	}

	/** The model's parameter count, once the trial has built it. */
	setParamCount(trialId: number, paramCount: number): void {
		const entry = this.entries.get(trialId);
		if (entry) {
			entry.paramCount = paramCount;
		}
	}

	/** The trial's outcome, once this process has stored it: its state, and what the store keeps of it for the objectives. */
	setState(trialId: number, state: TrialState, trainSeconds?: number): void {
		const entry = this.entries.get(trialId);
		if (entry) {
			entry.state = state;
			entry.trainSeconds = trainSeconds ?? null;
		}
	}

	/** This process no longer trains the trial: the next refresh takes it from the store. */
	release(trialId: number): void {
		this.local.delete(trialId);
	}

	/** The trial as a pruner judges it: its position in the sweep, its steps and parameter count. */
	prunerTrial(trial: {id: number; ordinal: number}): PrunerTrial {
		const entry = this.entries.get(trial.id);
		return {id: trial.id, ordinal: trial.ordinal, steps: entry?.steps ?? [], paramCount: entry?.paramCount};
	}

	/** Every other trial, for a pruner's comparison. */
	peers(except: number): PrunerPeer[] {
		return [...this.entries].filter(([id]) => id !== except).map(([id, entry]) => ({id, ordinal: entry.ordinal, state: entry.state, steps: entry.steps, paramCount: entry.paramCount}));
	}

	/**
	 * The sampler's observations, one value per objective (src/util/objectives.ts: a metric's best value, the costs
	 * of the trial): each finished trial's; a pruned or timed-out trial's so far with the steps it ran (Optuna ranks
	 * pruned trials after completed ones, by their last step, then value); failed or diverged trials count as NaN,
	 * which ranks worst (Optuna leaves failed trials out; a diverged config is worth avoiding). And the configs of
	 * trials still running or waiting, for the constant liar.
	 */
	observations(objectives: readonly MetricSpec[]): {observations: SamplerObservation[]; pending: TrialParams[]} {
		const observations: SamplerObservation[] = [];
		const pending: TrialParams[] = [];
		for (const entry of this.entries.values()) {
			const values = () => objectives.map(objective => objectiveValue(objective, entry));
			if (isUnfinished(entry.state)) {
				pending.push(entry.config);
			} else if (entry.state === 'completed') {
				observations.push({config: entry.config, values: values()});
			} else if (entry.state === 'pruned' || entry.state === 'timeout') {
				observations.push({config: entry.config, values: values(), stoppedAt: entry.steps.length});
			} else {
				observations.push({config: entry.config, values: objectives.map(() => Number.NaN)});
			}
		}

		return {observations, pending};
	}
}
