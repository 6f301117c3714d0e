/**
 * `best --json` ranks from the step summaries the store keeps (v7): its rows, the tested-epoch columns among them,
 * must be those the leaderboard works out over every step, on a real sweep whose early stopping restored weights.
 */
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {leaderboard, stepsByTrial, testedEpochOf} from '../../src/report/leaderboard.js';
import {tradeoff} from '../../src/report/ranking.js';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {sweepMetric} from '../../src/types.js';
import {runCli, tempDir} from './helpers.js';

// minDelta 50% of the best val_loss: epoch 2 cannot improve on epoch 1 by that much, so every trial stops there
// and is tested with epoch 1's weights, while its best val_accuracy may be epoch 2's.
const SWEEP = `name: restoring
question: Which weights does the test accuracy belong to when early stopping restores the best epoch?
method: grid
seed: 7
repeats: 2
dataset:
  name: fashion-mnist-mini
  trainLimit: 600
  testLimit: 200
  validation: 0.2
base:
  hidden: [32]
  batchSize: 32
  epochs: 4
  earlyStopping: {monitor: val_loss, patience: 1, minDelta: 50%, restoreBest: true}
parameters:
  learningRate: [0.001, 0.01]
`;

interface JsonRow {
	label: string;
	configHash: string;
	testedEpoch: {mean: number};
	testedValue: {mean: number; n: number};
}

async function bestRows(db: string, sweep: string): Promise<JsonRow[]> {
	const best = await runCli(['best', sweep, '--json', '--db', db]);
	if (best.code !== 0) {
		throw new Error(best.stderr);
	}

	return (JSON.parse(best.stdout) as {rows: JsonRow[]}).rows;
}

test('best --json from the step summaries equals the leaderboard over every step, tested epochs of restored weights included; so does a copy replaying early stopping', async t => {
	const dir = tempDir(t);
	const file = join(dir, 'restoring.yaml');
	writeFileSync(file, SWEEP);
	const db = join(dir, 'restoring.db');
	const run = await runCli(['run', file, '--db', db, '--workers', '2']);
	t.is(run.code, 0, run.stderr);

	const store = openSqliteStore(db);
	t.teardown(async () => store.close());
	const sweep = (await store.getSweep('restoring'))!;
	const metric = sweepMetric(sweep.definition);
	const [trials, steps] = await Promise.all([store.trials(sweep.id), store.steps(sweep.id)]);
	t.is(trials.length, 4);
	for (const trial of trials) {
		t.is(trial.state, 'completed');
		t.is(trial.epochsRun, 2);
		t.is(trial.finalMetrics.test_epoch, 1, 'epoch 1\'s weights restored and tested');
		t.regex(trial.stopReason ?? '', /restored/);
	}

	// What main computed before the summaries: the leaderboard over every step, ranked; NaN becomes null in JSON.
	const expected = JSON.parse(JSON.stringify(tradeoff(leaderboard(trials, steps, metric), {margin: 0.005, metric}).rows)) as unknown[];
	const rows = await bestRows(db, 'restoring');
	t.deepEqual(rows.map(({label: _, ...row}) => row), expected);

	// The tested value is the metric at test_epoch, by hand.
	const byTrial = stepsByTrial(steps);
	for (const row of rows) {
		const values = trials.filter(trial => trial.configHash === row.configHash).map(trial => {
			const history = byTrial.get(trial.id)!;
			return history.find(step => step.step === testedEpochOf(trial, history))!.metrics.val_accuracy;
		});
		t.is(row.testedEpoch.mean, 1);
		t.is(row.testedValue.n, 2);
		t.true(Math.abs(row.testedValue.mean - ((values[0] + values[1]) / 2)) < 1e-12);
	}

	// Trials recorded before the trainer reported test_epoch: a copy without it replays early stopping on the steps.
	const copyDb = join(dir, 'copy.db');
	const copy = openSqliteStore(copyDb);
	t.teardown(async () => copy.close());
	const stripped = trials.map(trial => {
		const {test_epoch: _, ...finalMetrics} = trial.finalMetrics;
		return {...trial, finalMetrics};
	});
	await copy.importSweep(sweep, stripped, steps);
	t.true((await copy.trials((await copy.getSweep('restoring'))!.id)).every(trial => trial.finalMetrics.test_epoch === undefined));
	await copy.close();
	t.deepEqual(await bestRows(copyDb, 'restoring'), rows);
});
