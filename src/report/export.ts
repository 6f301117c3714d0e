/**
 * Trials and epochs flattened for pandas and spreadsheets: CSV in long form (one row per epoch, the
 * trial's columns repeated; a trial without epochs gets one row with empty epoch columns) or nested JSON.
 */
import type {StoredStep, SweepRecord, TrialRecord} from '../store/store.js';
import {type MetricSpec, sweepMetric, type TrialParams} from '../types.js';
import {convergedEpoch} from './convergence.js';
import {bestStepIndex, lossHistory, stepsByTrial} from './leaderboard.js';

export interface ExportedStep {
	/** The step number (the built-in trainer's epoch). */
	epoch: number;
	seconds: number | null;
	metrics: Record<string, number>;
}

export interface ExportedTrial {
	id: number;
	ordinal: number;
	configHash: string;
	config: TrialParams;
	repeat: number;
	seed: number;
	state: TrialRecord['state'];
	paramCount: number | null;
	backend: string | null;
	epochsRun: number;
	/** Step of the best value of the sweep's metric. */
	bestEpoch: number | null;
	convergedEpoch: number | null;
	testLoss: number | null;
	testAccuracy: number | null;
	finalMetrics: Record<string, number>;
	trainSeconds: number | null;
	error: string | null;
	logPath: string | null;
	epochs: ExportedStep[];
}

export interface SweepExport {
	sweep: string;
	question?: string;
	metric: MetricSpec;
	dataset: SweepRecord['definition']['dataset'];
	trials: ExportedTrial[];
}

/** Every trial of the sweep with its steps. In JSON, NaN and infinite metrics become null (JSON has no such numbers); the trial state says why. */
export function exportSweep(sweep: SweepRecord, trials: readonly TrialRecord[], steps: readonly StoredStep[]): SweepExport {
	const byTrial = stepsByTrial(steps);
	const metric = sweepMetric(sweep.definition);
	return {
		sweep: sweep.name,
		question: sweep.definition.question,
		metric,
		dataset: sweep.definition.dataset,
		trials: trials.map(trial => {
			const history = byTrial.get(trial.id) ?? [];
			const best = bestStepIndex(history, metric);
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
				bestEpoch: best < 0 ? null : history[best].step,
				convergedEpoch: convergedEpoch(lossHistory(history)) ?? null,
				testLoss: trial.testLoss,
				testAccuracy: trial.testAccuracy,
				finalMetrics: trial.finalMetrics,
				trainSeconds: trial.trainSeconds,
				error: trial.error,
				logPath: trial.logPath,
				epochs: history.map(step => ({epoch: step.step, seconds: step.seconds ?? null, metrics: step.metrics})),
			};
		}),
	};
}

const TRIAL_COLUMNS = ['sweep', 'trial_id', 'ordinal', 'config_hash', 'repeat', 'seed', 'state'] as const;
const OUTCOME_COLUMNS = ['param_count', 'backend', 'epochs_run', 'best_epoch', 'converged_epoch', 'test_loss', 'test_accuracy', 'train_seconds', 'error'] as const;
/** The built-in trainer's metrics come first, in the order the v1 CSV had them; other metrics follow by name. */
const EPOCH_COLUMNS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'];
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

/**
 * RFC 4180 CSV with a header; one column per config key (arrays as JSON, e.g. `[64,64]`), then the trial's outcome
 * (other final metrics than test_loss and test_accuracy as final_<name>), then the step: epoch, one column per
 * metric any step has, seconds.
 */
export function toCsv(data: SweepExport): string {
	const configKeys = [...new Set(data.trials.flatMap(trial => Object.keys(trial.config)))].sort();
	const finalNames = [...new Set(data.trials.flatMap(trial => Object.keys(trial.finalMetrics)))].filter(name => name !== 'test_loss' && name !== 'test_accuracy').sort();
	const stepNames = new Set(data.trials.flatMap(trial => trial.epochs.flatMap(step => Object.keys(step.metrics))));
	const metricNames = [...EPOCH_COLUMNS.filter(name => stepNames.has(name)), ...[...stepNames].filter(name => !EPOCH_COLUMNS.includes(name)).sort()];
	const lines = [[...TRIAL_COLUMNS, ...configKeys, ...OUTCOME_COLUMNS, ...finalNames.map(name => `final_${name}`), 'epoch', ...metricNames, 'seconds'].join(',')];
	for (const trial of data.trials) {
		const head = [data.sweep, trial.id, trial.ordinal, trial.configHash, trial.repeat, trial.seed, trial.state, ...configKeys.map(key => trial.config[key])];
		const outcome = [
			trial.paramCount, trial.backend, trial.epochsRun, trial.bestEpoch, trial.convergedEpoch, trial.testLoss, trial.testAccuracy, trial.trainSeconds, trial.error,
			...finalNames.map(name => trial.finalMetrics[name]),
		];
		const steps = trial.epochs.length > 0 ? trial.epochs : [undefined];
		for (const step of steps) {
			const values = step ? [step.epoch, ...metricNames.map(name => step.metrics[name]), step.seconds] : [null, ...metricNames.map(() => null), null];
			lines.push([...head, ...outcome, ...values].map(cell).join(','));
		}
	}

	return lines.join('\n') + '\n';
}
