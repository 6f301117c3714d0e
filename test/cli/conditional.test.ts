import {join} from 'node:path';
import test from 'ava';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';
import {fixture, query, runCli, tempDir} from './helpers.js';

test('plan: a conditional grid lists only the combinations its conditions allow', async t => {
	const result = await runCli(['plan', fixture('sweeps/good/conditional.yaml'), '--json']);
	t.is(result.code, 0, result.stderr);
	const {trials} = JSON.parse(result.stdout) as {trials: Array<{config: {model: string; conv: number[]; kernelSize: number; hidden: number[]}}>};
	// mlp x 2 hidden + cnn x 2 conv x 2 kernel sizes, not the full product of 16.
	t.is(trials.length, 6);
	t.is(new Set(trials.map(trial => JSON.stringify(trial.config))).size, 6);
	t.deepEqual(trials.filter(trial => trial.config.model === 'mlp').map(trial => trial.config.conv), [DEFAULT_TRIAL_CONFIG.conv, DEFAULT_TRIAL_CONFIG.conv]);
	t.deepEqual(trials.filter(trial => trial.config.model === 'cnn').map(trial => trial.config.hidden), Array.from({length: 4}, () => DEFAULT_TRIAL_CONFIG.hidden));
});

test('plan: the table shows each trial only the parameters that apply to it', async t => {
	const result = await runCli(['plan', fixture('sweeps/good/conditional.yaml')]);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /│ hidden=\[64\] model=mlp +│/);
	t.regex(result.stdout, /│ conv=\[32,64\] kernelSize=5 model=cnn +│/);
	t.regex(result.stdout, /6 trials \(grid\)/);
});

test('a conditional tpe sweep (multivariate, grouped) trains valid configs on the bundled subset', async t => {
	const db = join(tempDir(t), 'conditional.db');
	const result = await runCli(['run', fixture('e2e/conditional-tpe.yaml'), '--db', db, '--workers', '2']);
	t.is(result.code, 0, result.stderr);
	const trials = query<{state: string; config: string}>(db, 'SELECT state, config FROM trials ORDER BY ordinal');
	t.is(trials.length, 10);
	t.true(trials.every(trial => trial.state === 'completed'), trials.map(trial => trial.state).join(','));
	t.is(new Set(trials.map(trial => trial.config)).size, 10, 'no config suggested twice');
	const configs = trials.map(trial => JSON.parse(trial.config) as {model: string; conv: number[]; kernelSize: number; hidden: number[]});
	for (const config of configs) {
		if (config.model === 'cnn') {
			t.true([[4], [8]].some(conv => JSON.stringify(conv) === JSON.stringify(config.conv)) && [3, 5].includes(config.kernelSize));
			t.deepEqual(config.hidden, DEFAULT_TRIAL_CONFIG.hidden, 'hidden applies to the mlp only');
		} else {
			t.true([[16], [32, 16]].some(hidden => JSON.stringify(hidden) === JSON.stringify(config.hidden)));
			t.deepEqual([config.conv, config.kernelSize], [[4], DEFAULT_TRIAL_CONFIG.kernelSize], 'conv and kernelSize apply to the cnn only');
		}
	}
	t.deepEqual([...new Set(configs.map(config => config.model))].sort(), ['cnn', 'mlp']);
});
