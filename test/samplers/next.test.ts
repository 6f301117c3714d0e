import test from 'ava';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {SweepHistory} from '../../src/run/history.js';
import {suggestNextTrial} from '../../src/samplers/next.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {DEFAULT_TRIAL_CONFIG, type SweepDefinition} from '../../src/types.js';

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
		await store.recordEpoch(trial.id, 'me', {epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: spec.config.hidden.length / 10, seconds: 1});
		await store.finishTrial(trial.id, 'me', {state: 'completed', testAccuracy: 0.5, testLoss: 1, trainSeconds: 1});
		hidden.push(spec.config.hidden);
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
