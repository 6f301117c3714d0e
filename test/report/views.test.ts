import test from 'ava';
import Database from 'better-sqlite3';
import {leaderboard} from '../../src/report/leaderboard.js';
import {rankRows} from '../../src/report/ranking.js';
import {DEFAULT_METRIC} from '../../src/types.js';
import {storeWith, type PlannedTrial} from './helpers.js';

/** Three configs with two repeats and one diverged trial; train seconds chosen so the front is {32, 8}. */
const plan: PlannedTrial[] = [
	{hidden: 8, repeat: 0, valAccuracies: [0.6, 0.7, 0.72], outcome: {trainSeconds: 10}},
	{hidden: 8, repeat: 1, valAccuracies: [0.62, 0.74, 0.7], outcome: {trainSeconds: 12}},
	{hidden: 16, repeat: 0, valAccuracies: [0.6, 0.71, 0.7], outcome: {trainSeconds: 40}},
	{hidden: 16, repeat: 1, valAccuracies: [Number.NaN, Number.NaN], outcome: {state: 'diverged', trainSeconds: 5}},
	{hidden: 32, repeat: 0, valAccuracies: [0.7, 0.8, 0.81], valLosses: [0.8, 0.5, 0.52], outcome: {trainSeconds: 70, testAccuracy: Number.NaN}},
	{hidden: 32, repeat: 1, valAccuracies: [0.72, 0.79, 0.83], outcome: {trainSeconds: 80}},
];

async function open(t: Parameters<typeof storeWith>[0]) {
	const {store, path, sweep} = await storeWith(t, plan);
	const db = new Database(path, {readonly: true});
	t.teardown(() => db.close());
	return {db, rows: rankRows(leaderboard(await store.trials(sweep.id), await store.steps(sweep.id), DEFAULT_METRIC))};
}

test('the leaderboard view agrees with the leaderboard the reports compute', async t => {
	const {db, rows} = await open(t);
	const view = db.prepare('SELECT * FROM leaderboard ORDER BY rank').all() as Array<Record<string, number | string | null>>;
	t.is(view.length, 3);
	for (const [index, row] of rows.entries()) {
		const sql = view[index];
		t.is(sql.config_hash, row.configHash);
		t.is(sql.rank, index + 1);
		t.is(sql.trials, 2);
		t.is(sql.completed, row.completed);
		for (const [column, value] of [
			['val_accuracy', row.value.mean],
			['val_accuracy_std', row.value.std],
			['value', row.value.mean],
			['value_std', row.value.std],
			['test_accuracy', row.testAccuracy.mean],
			['train_seconds', row.trainSeconds.mean],
			['train_seconds_std', row.trainSeconds.std],
			['converged_epoch', row.convergedEpoch.mean],
			['best_epoch', row.bestEpoch.mean],
			['seconds_to_best', row.secondsToBest.mean],
			['seconds_per_epoch', row.secondsPerEpoch.mean],
		] as const) {
			t.true(Math.abs((sql[column] as number) - value) < 1e-9, `${row.configHash} ${column}: view ${sql[column]}, reports ${value}`);
		}
	}

	// A NaN test accuracy is left out of the mean, not taken as a number.
	t.is(view[0].test_accuracy, 0.5);
	t.is(view[0].test_accuracy_std, 0);
	t.is(view[0].converged_epoch, 2.5);
});

test('the pareto view holds the same configs as the reports\' front', async t => {
	const {db, rows} = await open(t);
	const pareto = (db.prepare('SELECT config_hash FROM pareto ORDER BY train_seconds').all() as Array<{config_hash: string}>).map(row => row.config_hash);
	t.deepEqual(pareto, ['cfg-8', 'cfg-32']);
	t.deepEqual([...pareto].sort(), rows.filter(row => row.pareto).map(row => row.configHash).sort());
});

test('the README example queries answer in one line', async t => {
	const {db} = await open(t);
	const underBudget = db.prepare(`SELECT json_extract(config, '$.hidden') AS hidden, round(val_accuracy * 100, 2) AS acc, round(train_seconds, 1) AS s
		FROM leaderboard WHERE sweep = 'widths' AND train_seconds < 60 ORDER BY val_accuracy DESC LIMIT 5`).all();
	t.deepEqual(underBudget, [
		{hidden: '[8]', acc: 73, s: 11},
		{hidden: '[16]', acc: 71, s: 40},
	]);
	const front = db.prepare(`SELECT rank, json_extract(config, '$.hidden') AS hidden FROM pareto WHERE sweep = 'widths' ORDER BY train_seconds`).all();
	t.deepEqual(front, [{rank: 2, hidden: '[8]'}, {rank: 1, hidden: '[32]'}]);
	const epochs = db.prepare(`SELECT json_extract(config, '$.hidden') AS hidden, avg(converged_epoch) AS converged
		FROM trial_summary WHERE sweep = 'widths' AND state = 'completed' GROUP BY config_hash ORDER BY hidden`).all();
	t.deepEqual(epochs, [{hidden: '[16]', converged: 3}, {hidden: '[32]', converged: 2.5}, {hidden: '[8]', converged: 3}]);
});
