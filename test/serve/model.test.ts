import test from 'ava';
import {analyseSweep} from '../../src/serve/model.js';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {DEFAULT_TRIAL_CONFIG, type SweepDefinition} from '../../src/types.js';

test('a multi-objective sweep\'s page draws its front in the trade-off chart\'s place; a one-metric sweep keeps accuracy against time', async t => {
	const store = openSqliteStore(':memory:');
	t.teardown(async () => store.close());
	const base: SweepDefinition = {
		name: 'one',
		method: 'grid',
		seed: 1,
		repeats: 1,
		dataset: {name: 'fashion-mnist-mini', validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG},
		parameters: {hidden: {kind: 'values', values: [[8], [16], [32]]}},
	};
	const mo: SweepDefinition = {...base, name: 'two', objectives: [{name: 'val_accuracy', goal: 'maximize'}, {name: 'params', goal: 'minimize'}]};
	for (const definition of [base, mo]) {
		const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source: '', file: 'x.yaml'});
		const widths = [8, 16, 32];
		await store.addTrials(sweep.id, widths.map((width, ordinal) => ({ordinal, config: {...DEFAULT_TRIAL_CONFIG, hidden: [width]}, configHash: `h${width}`, repeat: 0, seed: 1})));
		for (const [index, width] of widths.entries()) {
			const trial = (await store.claimTrial(sweep.id, 'me', 60_000))!;
			await store.markStarted(trial.id, 'me', {backend: 'cpu', trainingPath: 'layers', host: 'h', paramCount: width * 100});
			await store.recordStep(trial.id, 'me', {step: 1, metrics: {val_accuracy: 0.5 + (index * 0.1)}, seconds: 1});
			await store.finishTrial(trial.id, 'me', {state: 'completed', trainSeconds: 1});
		}
	}

	const statuses = await store.listSweeps();
	const [one, two] = await Promise.all(statuses.map(async status => analyseSweep(store, status)));
	const title = (analysis: typeof one) => JSON.stringify((analysis.charts.tradeoff as {title: unknown}).title);
	t.regex(title(two), /val_accuracy against params: the Pareto front/);
	t.regex(title(one), /against training time/);
	// Every width is on the front of accuracy against size (wider: more accurate and bigger).
	t.true(two.result.rows.every(row => row.pareto));
});
