import test from 'ava';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {SweepHistory} from '../../src/run/history.js';
import {suggestNextTrial} from '../../src/samplers/next.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {builtinConfig, DEFAULT_METRIC, DEFAULT_TRIAL_CONFIG, type SweepDefinition} from '../../src/types.js';

function definition(trials: number, values: unknown[]): SweepDefinition {
	return {
		name: 'tpe-test',
		method: 'tpe',
		seed: 9,
		repeats: 1,
		trials,
		startupTrials: 2,
		dataset: {name: 'fashion-mnist-mini', validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG},
		parameters: {hidden: {kind: 'values', values}},
	};
}

/** Ask for trials one at a time, as the run loop does, finishing each with a made-up validation accuracy. */
async function suggestAll(def: SweepDefinition): Promise<unknown[][]> {
	const store = openSqliteStore(':memory:');
	const sweep = await store.openSweep({definition: def, definitionHash: definitionHash(def), source: '', file: 'x.yaml'});
	const history = new SweepHistory(store, sweep.id);
	const hidden: unknown[][] = [];
	for (;;) {
		await history.refresh();
		const spec = suggestNextTrial(def, history);
		if (!spec) {
			break;
		}

		if (spec.ordinal !== hidden.length) {
			throw new Error(`trial ${hidden.length} was given ordinal ${spec.ordinal}`);
		}

		await store.addTrials(sweep.id, [spec]);
		const trial = (await store.claimTrial(sweep.id, 'me', 60_000))!;
		const config = builtinConfig(spec.config);
		await store.recordStep(trial.id, 'me', {step: 1, metrics: {loss: 1, accuracy: 0.5, val_loss: 1, val_accuracy: config.hidden.length / 10}, seconds: 1});
		await store.finishTrial(trial.id, 'me', {state: 'completed', metrics: {test_accuracy: 0.5, test_loss: 1}, trainSeconds: 1});
		hidden.push(config.hidden);
	}

	await store.close();
	return hidden;
}

test('a tpe sweep over a small space gets every distinct config up to its budget, never one twice', async t => {
	const values = [[8], [16], [8, 8], [16, 16], [8, 8, 8], [16, 16, 16]];
	const hidden = await suggestAll(definition(6, values));
	t.is(hidden.length, 6);
	t.is(new Set(hidden.map(value => JSON.stringify(value))).size, 6);
});

test('a space smaller than the budget is exhausted rather than repeated', async t => {
	const hidden = await suggestAll(definition(5, [[8], [16]]));
	t.deepEqual(new Set(hidden.map(value => JSON.stringify(value))), new Set(['[8]', '[16]']));
	t.is(hidden.length, 2);
});

test('the sampler is deterministic for a seed', async t => {
	const values = [[8], [16], [8, 8], [16, 16], [8, 8, 8], [16, 16, 16], [32], [32, 32]];
	t.deepEqual(await suggestAll(definition(6, values)), await suggestAll(definition(6, values)));
});

test('the history tells TPE how far a pruned or timed-out trial got, so it ranks after the finished ones', async t => {
	const def = {...definition(3, [[8], [16], [32]]), method: 'grid' as const};
	const store = openSqliteStore(':memory:');
	t.teardown(async () => store.close());
	const sweep = await store.openSweep({definition: def, definitionHash: definitionHash(def), source: '', file: 'x.yaml'});
	const outcomes = [{state: 'completed', epochs: 4}, {state: 'pruned', epochs: 2}, {state: 'timeout', epochs: 3}] as const;
	await store.addTrials(sweep.id, outcomes.map((_, ordinal) => ({ordinal, config: {...DEFAULT_TRIAL_CONFIG, hidden: [8 * (2 ** ordinal)]}, configHash: `h${ordinal}`, repeat: 0, seed: 1})));
	for (const outcome of outcomes) {
		const trial = (await store.claimTrial(sweep.id, 'me', 60_000))!;
		for (let epoch = 1; epoch <= outcome.epochs; epoch++) {
			await store.recordStep(trial.id, 'me', {step: epoch, metrics: {loss: 1, accuracy: 0.5, val_loss: 1, val_accuracy: epoch / 10}, seconds: 1});
		}

		await store.finishTrial(trial.id, 'me', {state: outcome.state, metrics: {test_accuracy: 0.5, test_loss: 1}, trainSeconds: 1});
	}

	const history = new SweepHistory(store, sweep.id);
	await history.refresh();
	const {observations} = history.observations([DEFAULT_METRIC]);
	t.deepEqual(observations.map(({values, stoppedAt}) => ({values, stoppedAt})), [
		{values: [0.4], stoppedAt: undefined},
		{values: [0.2], stoppedAt: 2},
		{values: [0.3], stoppedAt: 3},
	]);
});

test('multivariate in the sweep reaches the sampler (absent or true: joint; false: independent TPE, whose draws differ past start-up), never a repeated config', async t => {
	const values = [[8], [16], [32], [8, 8], [16, 16], [32, 32], [8, 8, 8], [16, 16, 16], [32, 32, 32], [64]];
	const independent = await suggestAll({...definition(8, values), multivariate: false});
	const joint = await suggestAll(definition(8, values));
	t.deepEqual(await suggestAll({...definition(8, values), multivariate: true}), joint);
	t.is(new Set(joint.map(value => JSON.stringify(value))).size, 8);
	// The start-up trials are the same random draws; past them the samplers differ.
	t.deepEqual(joint.slice(0, 2), independent.slice(0, 2));
	t.notDeepEqual(joint, independent);
});
