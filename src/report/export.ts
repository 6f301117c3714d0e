/**
 * Trials and epochs flattened for pandas and spreadsheets: CSV in long form (one row per epoch, the
 * trial's columns repeated; a trial without epochs gets one row with empty epoch columns) or nested JSON.
 */
import type {StoredEpoch, SweepRecord, TrialRecord} from '../store/store.js';
import type {TrialConfig} from '../types.js';
import {convergedEpoch} from './convergence.js';
import {bestEpochIndex} from './leaderboard.js';

export interface ExportedTrial {
	id: number;
	ordinal: number;
	configHash: string;
	config: TrialConfig;
	repeat: number;
	seed: number;
	state: TrialRecord['state'];
	paramCount: number | null;
	backend: string | null;
	epochsRun: number;
	bestEpoch: number | null;
	convergedEpoch: number | null;
	testLoss: number | null;
	testAccuracy: number | null;
	trainSeconds: number | null;
	error: string | null;
	epochs: Array<Omit<StoredEpoch, 'trialId'>>;
}

export interface SweepExport {
	sweep: string;
	question?: string;
	dataset: SweepRecord['definition']['dataset'];
	trials: ExportedTrial[];
}

/** Every trial of the sweep with its epochs. In JSON, NaN and infinite metrics become null (JSON has no such numbers); the trial state says why. */
export function exportSweep(sweep: SweepRecord, trials: readonly TrialRecord[], epochs: readonly StoredEpoch[]): SweepExport {
	const byTrial = new Map<number, StoredEpoch[]>();
	for (const epoch of epochs) {
		byTrial.set(epoch.trialId, [...(byTrial.get(epoch.trialId) ?? []), epoch]);
	}

	return {
		sweep: sweep.name,
		question: sweep.definition.question,
		dataset: sweep.definition.dataset,
		trials: trials.map(trial => {
			const history = (byTrial.get(trial.id) ?? []).sort((a, b) => a.epoch - b.epoch);
			const best = bestEpochIndex(history);
			return {
				id: trial.id,
				ordinal: trial.ordinal,
				configHash: trial.configHash,
				config: trial.config,
				repeat: trial.repeat,
				seed: trial.seed,
				state: trial.state,
				paramCount: trial.paramCount,
				backend: trial.backend,
				epochsRun: trial.epochsRun,
				bestEpoch: best < 0 ? null : history[best].epoch,
				convergedEpoch: convergedEpoch(history) ?? null,
				testLoss: trial.testLoss,
				testAccuracy: trial.testAccuracy,
				trainSeconds: trial.trainSeconds,
				error: trial.error,
				epochs: history.map(({trialId, ...epoch}) => epoch),
			};
		}),
	};
}

const TRIAL_COLUMNS = ['sweep', 'trial_id', 'ordinal', 'config_hash', 'repeat', 'seed', 'state'] as const;
const OUTCOME_COLUMNS = ['param_count', 'backend', 'epochs_run', 'best_epoch', 'converged_epoch', 'test_loss', 'test_accuracy', 'train_seconds', 'error'] as const;
const EPOCH_COLUMNS = ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds'] as const;

/** `inf`/`-inf`/`NaN` are what pandas.read_csv parses back into floats. */
function cell(value: unknown): string {
	if (value === null || value === undefined) {
		return '';
	}

	let text: string;
	if (typeof value === 'number') {
		text = Number.isNaN(value) ? 'NaN' : value === Number.POSITIVE_INFINITY ? 'inf' : value === Number.NEGATIVE_INFINITY ? '-inf' : String(value);
	} else if (typeof value === 'object') {
		text = JSON.stringify(value);
	} else {
		text = String(value);
	}

	return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV with a header; one column per config key (arrays as JSON, e.g. `[64,64]`). */
export function toCsv(data: SweepExport): string {
	const configKeys = [...new Set(data.trials.flatMap(trial => Object.keys(trial.config)))].sort() as Array<keyof TrialConfig>;
	const lines = [[...TRIAL_COLUMNS, ...configKeys, ...OUTCOME_COLUMNS, ...EPOCH_COLUMNS].join(',')];
	for (const trial of data.trials) {
		const head = [data.sweep, trial.id, trial.ordinal, trial.configHash, trial.repeat, trial.seed, trial.state, ...configKeys.map(key => trial.config[key])];
		const outcome = [trial.paramCount, trial.backend, trial.epochsRun, trial.bestEpoch, trial.convergedEpoch, trial.testLoss, trial.testAccuracy, trial.trainSeconds, trial.error];
		const epochs = trial.epochs.length > 0 ? trial.epochs : [undefined];
		for (const epoch of epochs) {
			const values = epoch ? [epoch.epoch, epoch.loss, epoch.accuracy, epoch.valLoss, epoch.valAccuracy, epoch.seconds] : EPOCH_COLUMNS.map(() => null);
			lines.push([...head, ...outcome, ...values].map(cell).join(','));
		}
	}

	return lines.join('\n') + '\n';
}
