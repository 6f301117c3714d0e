import type {StoredEpoch, TrialRecord} from '../store/store.js';
import type {TrialConfig, TrialState} from '../types.js';
import {convergedEpoch} from './convergence.js';

/** Mean and sample standard deviation (0 for a single value; NaN for none). */
export interface Spread {
	mean: number;
	std: number;
	n: number;
}

/** One config of a sweep with its repeats aggregated. */
export interface ConfigRow {
	configHash: string;
	config: TrialConfig;
	/** Trials of this config (repeats), and how many completed. */
	trials: number;
	completed: number;
	states: Partial<Record<TrialState, number>>;
	/** Best validation accuracy of each completed trial (its best epoch). */
	valAccuracy: Spread;
	testAccuracy: Spread;
	/** Epoch of the best validation accuracy. */
	bestEpoch: Spread;
	/** Epoch the trial converged at (src/report/convergence.ts). */
	convergedEpoch: Spread;
	epochsRun: Spread;
	/** Sum of the epoch seconds up to and including the best epoch: what training would cost had it stopped there. */
	secondsToBest: Spread;
	/** Wall seconds spent training and validating the whole trial. */
	trainSeconds: Spread;
	/** trainSeconds / epochsRun of each trial. */
	secondsPerEpoch: Spread;
	paramCount: number | null;
	backends: string[];
}

export function spread(values: number[]): Spread {
	const finite = values.filter(value => Number.isFinite(value));
	const n = finite.length;
	if (n === 0) {
		return {mean: Number.NaN, std: Number.NaN, n};
	}

	const mean = finite.reduce((sum, value) => sum + value, 0) / n;
	const variance = n > 1 ? finite.reduce((sum, value) => sum + ((value - mean) ** 2), 0) / (n - 1) : 0;
	return {mean, std: Math.sqrt(variance), n};
}

/** Index of the epoch with the highest finite validation accuracy (the first on ties), or -1. */
export function bestEpochIndex(epochs: Array<{valAccuracy: number}>): number {
	let best = -1;
	for (const [i, epoch] of epochs.entries()) {
		if (Number.isFinite(epoch.valAccuracy) && (best < 0 || epoch.valAccuracy > epochs[best].valAccuracy)) {
			best = i;
		}
	}

	return best;
}

/**
 * Per-config rows, best first: ordered by mean best-epoch validation accuracy of completed trials;
 * configs with no completed trial come last.
 */
export function leaderboard(trials: TrialRecord[], epochs: StoredEpoch[]): ConfigRow[] {
	const epochsByTrial = new Map<number, StoredEpoch[]>();
	for (const epoch of epochs) {
		const list = epochsByTrial.get(epoch.trialId) ?? [];
		list.push(epoch);
		epochsByTrial.set(epoch.trialId, list);
	}

	const groups = new Map<string, TrialRecord[]>();
	for (const trial of trials) {
		const group = groups.get(trial.configHash);
		if (group) {
			group.push(trial);
		} else {
			groups.set(trial.configHash, [trial]);
		}
	}

	const rows = [...groups.values()].map(group => {
		const completed = group.filter(trial => trial.state === 'completed');
		const histories = completed.map(trial => (epochsByTrial.get(trial.id) ?? []).sort((a, b) => a.epoch - b.epoch));
		const best = histories.map(history => {
			const index = bestEpochIndex(history);
			return index < 0 ? undefined : history[index];
		});
		const states: ConfigRow['states'] = {};
		for (const trial of group) {
			states[trial.state] = (states[trial.state] ?? 0) + 1;
		}

		return {
			configHash: group[0].configHash,
			config: group[0].config,
			trials: group.length,
			completed: completed.length,
			states,
			valAccuracy: spread(best.map(epoch => epoch?.valAccuracy ?? Number.NaN)),
			testAccuracy: spread(completed.map(trial => trial.testAccuracy ?? Number.NaN)),
			bestEpoch: spread(best.map(epoch => epoch?.epoch ?? Number.NaN)),
			convergedEpoch: spread(histories.map(history => convergedEpoch(history) ?? Number.NaN)),
			epochsRun: spread(completed.map(trial => trial.epochsRun)),
			secondsToBest: spread(histories.map((history, i) => secondsUpTo(history, best[i]?.epoch))),
			trainSeconds: spread(completed.map(trial => trial.trainSeconds ?? Number.NaN)),
			secondsPerEpoch: spread(completed.map(trial => (trial.trainSeconds ?? Number.NaN) / trial.epochsRun)),
			paramCount: group.find(trial => trial.paramCount !== null)?.paramCount ?? null,
			backends: [...new Set(group.flatMap(trial => (trial.backend ? [trial.backend] : [])))],
		} satisfies ConfigRow;
	});

	return rows.sort((a, b) => rankValue(b) - rankValue(a));
}

function secondsUpTo(history: StoredEpoch[], epoch: number | undefined): number {
	if (epoch === undefined) {
		return Number.NaN;
	}

	return history.filter(record => record.epoch <= epoch && Number.isFinite(record.seconds)).reduce((sum, record) => sum + record.seconds, 0);
}

function rankValue(row: ConfigRow): number {
	return Number.isFinite(row.valAccuracy.mean) ? row.valAccuracy.mean : Number.NEGATIVE_INFINITY;
}
