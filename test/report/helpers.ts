import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import {spread, type ConfigRow} from '../../src/report/leaderboard.js';
import {openSqliteStore, type SqliteStore} from '../../src/store/sqlite.js';
import type {SweepRecord} from '../../src/store/store.js';
import {DEFAULT_TRIAL_CONFIG, type EpochRecord, epochStep, type SweepDefinition, type TrialConfig, type TrialOutcome} from '../../src/types.js';

export function tempDir(t: ExecutionContext): string {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-report-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	return dir;
}

/** A ConfigRow from raw per-repeat values; only what ranking reads is meaningful. */
export function configRow(hash: string, accuracies: number[], seconds: number[]): ConfigRow {
	return {
		configHash: hash,
		config: {...DEFAULT_TRIAL_CONFIG, hidden: [hash.length]},
		trials: accuracies.length,
		completed: accuracies.length,
		states: {completed: accuracies.length},
		value: spread(accuracies),
		testAccuracy: spread(accuracies),
		testedEpoch: spread([1]),
		testedValue: spread(accuracies),
		bestEpoch: spread([1]),
		convergedEpoch: spread([1]),
		epochsRun: spread([1]),
		secondsToBest: spread(seconds),
		trainSeconds: spread(seconds),
		secondsPerEpoch: spread(seconds),
		paramCount: 10,
		backends: ['cpu'],
	};
}

export interface PlannedTrial {
	/** Distinct per config; trials sharing it are repeats. */
	hidden: number;
	repeat?: number;
	valLosses?: number[];
	valAccuracies: number[];
	/** Config keys besides `hidden` (default: DEFAULT_TRIAL_CONFIG's). */
	config?: Partial<TrialConfig>;
	/** The outcome, with its final test accuracy (default 0.5) given as testAccuracy. */
	outcome?: Partial<TrialOutcome> & {testAccuracy?: number};
}

export function definition(name: string): SweepDefinition {
	return {
		name,
		question: 'does width help?',
		method: 'grid',
		seed: 1,
		repeats: 2,
		dataset: {name: 'fashion-mnist-mini', trainLimit: 512, validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG, epochs: 3},
		parameters: {hidden: {kind: 'values', values: [[8], [16], [32]]}},
	};
}

/** A file store holding one sweep whose trials ran as planned (epoch seconds 1 each, train seconds = epochs unless given). */
export async function storeWith(t: ExecutionContext, plan: PlannedTrial[], name = 'widths'): Promise<{store: SqliteStore; path: string; sweep: SweepRecord}> {
	const path = join(tempDir(t), 'sweeps.db');
	const store = openSqliteStore(path);
	t.teardown(async () => store.close());
	const sweep = await store.openSweep({definition: definition(name), definitionHash: `hash-${name}`, source: `name: ${name}\n`, file: `sweeps/${name}.yaml`});
	await store.addTrials(
		sweep.id,
		plan.map((trial, ordinal) => ({
			ordinal,
			config: {...DEFAULT_TRIAL_CONFIG, ...trial.config, hidden: [trial.hidden]},
			configHash: `cfg-${trial.hidden}`,
			repeat: trial.repeat ?? 0,
			seed: ordinal,
		})),
	);
	for (;;) {
		const claimed = await store.claimTrial(sweep.id, 'owner', 3_600_000);
		if (!claimed) {
			break;
		}

		const planned = plan[claimed.ordinal];
		await store.markStarted(claimed.id, 'owner', {backend: 'cpu', trainingPath: 'fit', host: 'h', paramCount: planned.hidden * 100});
		for (const [index, valAccuracy] of planned.valAccuracies.entries()) {
			const epoch: EpochRecord = {epoch: index + 1, loss: 1, accuracy: 0.5, valLoss: planned.valLosses?.[index] ?? 1 / (index + 1), valAccuracy, seconds: 1};
			await store.recordStep(claimed.id, 'owner', epochStep(epoch));
		}

		const {testAccuracy = 0.5, ...outcome} = planned.outcome ?? {};
		await store.finishTrial(claimed.id, 'owner', {state: 'completed', metrics: {test_accuracy: testAccuracy}, trainSeconds: planned.valAccuracies.length, ...outcome});
	}

	return {store, path, sweep};
}
