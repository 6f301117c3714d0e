import {execFile} from 'node:child_process';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {ROOT} from '../cli/helpers.js';
import {storeWith} from '../report/helpers.js';

test('study-facts prints each sweep\'s leaderboard and the most accurate network with the validation of its tested weights', async t => {
	const {path, store} = await storeWith(t, [
		{hidden: 8, repeat: 0, valAccuracies: [0.6, 0.8, 0.7], outcome: {metrics: {test_accuracy: 0.69, test_epoch: 3}}},
		{hidden: 8, repeat: 1, valAccuracies: [0.6, 0.82, 0.72], outcome: {metrics: {test_accuracy: 0.71, test_epoch: 3}}},
		{hidden: 16, repeat: 0, valAccuracies: [0.5, 0.6, 0.65]},
	]);
	await store.close();
	const {stdout} = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/scripts/study-facts.js'), '--db', path]);
	t.regex(stdout, /^## widths$/m);
	t.regex(stdout, /3 trials \(3 completed\); training path: fit; wall time from the first start to the last finish: [\d.]+ min/);
	t.regex(stdout, /\| rank \| config \| val acc \| test acc \| val acc of tested \| tested epoch \|/);
	t.regex(stdout, /Most accurate MLP by mean validation accuracy \(the selection rule\): `widths` `hidden=\[8\]` \(800 parameters\): validation 81\.00% ± 1\.41 at epoch 2\.0; test 70\.00% ± 1\.41 with validation 71\.00% ± 1\.41 of the same weights \(epoch 3\.0\)/);
});
