import type {PrunerPeer} from '../pruners/pruner.js';
import type {SamplerHistory} from '../samplers/next.js';
import type {Store} from '../store/store.js';
import {type EpochRecord, isUnfinished, type Objective, type TrialConfig, type TrialState} from '../types.js';

interface Entry {
	state: TrialState;
	config: TrialConfig;
	epochs: EpochRecord[];
}

/**
 * What the pruners and the TPE sampler decide from: every trial of the sweep with its state and epochs.
 * Read from the store (so trials of other processes count) and kept current with this process's own
 * epochs as they stream in.
 */
export class SweepHistory implements SamplerHistory {
	private entries = new Map<number, Entry>();
	/** Trials this process is training: their epochs here are ahead of the store's (writes are queued). */
	private readonly local = new Set<number>();

	constructor(private readonly store: Store, private readonly sweepId: number) {}

	/** Reload every trial and epoch from the store, except those this process is training. */
	async refresh(): Promise<void> {
		const [trials, epochs] = await Promise.all([this.store.trials(this.sweepId), this.store.epochs(this.sweepId)]);
		const entries = new Map<number, Entry>(trials.map(trial => [trial.id, {state: trial.state, config: trial.config, epochs: []}]));
		for (const {trialId, ...epoch} of epochs) {
			entries.get(trialId)?.epochs.push(epoch);
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

	/** A trial this process claimed: its earlier attempt's epochs are gone (the claim deleted them). */
	started(trialId: number, config: TrialConfig): void {
		this.entries.set(trialId, {state: 'running', config, epochs: []});
		this.local.add(trialId);
	}

	addEpoch(trialId: number, record: EpochRecord): void {
		this.entries.get(trialId)?.epochs.push(record);
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

	epochs(trialId: number): EpochRecord[] {
		return this.entries.get(trialId)?.epochs ?? [];
	}

	/** Every other trial, for a pruner's comparison. */
	peers(except: number): PrunerPeer[] {
		return [...this.entries].filter(([id]) => id !== except).map(([id, entry]) => ({id, state: entry.state, epochs: entry.epochs}));
	}

	/**
	 * TPE's observations: each finished trial's best objective value (a pruned trial's best so far, as Optuna
	 * uses its last intermediate value); failed or diverged trials count as NaN, which ranks worst. And the
	 * configs of trials still running or waiting, for the constant liar.
	 */
	observations(objective: Objective): {observations: Array<{config: TrialConfig; value: number}>; pending: TrialConfig[]} {
		const observations: Array<{config: TrialConfig; value: number}> = [];
		const pending: TrialConfig[] = [];
		for (const entry of this.entries.values()) {
			if (isUnfinished(entry.state)) {
				pending.push(entry.config);
			} else if (entry.state === 'completed' || entry.state === 'pruned' || entry.state === 'timeout') {
				observations.push({config: entry.config, value: bestValue(entry.epochs, objective)});
			} else {
				observations.push({config: entry.config, value: Number.NaN});
			}
		}

		return {observations, pending};
	}
}

/** Highest validation accuracy or lowest validation loss over finite epochs; NaN when there is none. */
function bestValue(epochs: EpochRecord[], objective: Objective): number {
	const values = epochs.map(epoch => (objective === 'val_loss' ? epoch.valLoss : epoch.valAccuracy)).filter(value => Number.isFinite(value));
	if (values.length === 0) {
		return Number.NaN;
	}

	return objective === 'val_loss' ? Math.min(...values) : Math.max(...values);
}
