import test from 'ava';
import Database from 'better-sqlite3';
import {convergedEpoch, convergenceThreshold} from '../../src/report/convergence.js';
import {storeWith} from './helpers.js';

const history = (valLosses: number[]) => valLosses.map((valLoss, index) => ({epoch: index + 1, valLoss}));

test('converged at the first epoch within 2% of the minimum validation loss', t => {
	t.is(convergedEpoch(history([1, 0.6, 0.41, 0.4, 0.45])), 4);
	t.is(convergedEpoch(history([1, 0.6, 0.405, 0.4])), 3);
});

test('an overfitting trial converged where it first came close to its minimum, not at the end', t => {
	t.is(convergedEpoch(history([0.9, 0.5, 0.4, 0.6, 0.8])), 3);
});

test('the absolute floor keeps a minimum of zero from demanding an exact repeat', t => {
	t.is(convergenceThreshold(0), 0.001);
	t.is(convergedEpoch(history([0.5, 0.0009, 0])), 2);
});

test('non-finite validation losses neither converge nor set the minimum', t => {
	t.is(convergedEpoch(history([Number.NaN, 0.5, Number.NEGATIVE_INFINITY, 0.3, Number.POSITIVE_INFINITY])), 4);
	t.is(convergedEpoch(history([Number.NaN, Number.POSITIVE_INFINITY])), undefined);
	t.is(convergedEpoch([]), undefined);
});

test('the trial_summary view gives the same convergence epoch as convergedEpoch', async t => {
	const cases = [
		[1, 0.6, 0.41, 0.4, 0.45],
		[1, 0.6, 0.405, 0.4],
		[0.9, 0.5, 0.4, 0.6, 0.8],
		[0.5, 0.0009, 0],
		[Number.NaN, 0.5, 0.3, Number.POSITIVE_INFINITY],
		[0.31, 0.306, 0.3061, 0.3],
		[Number.NaN],
	];
	const {path} = await storeWith(t, cases.map((valLosses, index) => ({hidden: index + 1, valLosses, valAccuracies: valLosses.map(() => 0.5)})));
	const db = new Database(path, {readonly: true});
	t.teardown(() => db.close());
	const rows = db.prepare('SELECT ordinal, converged_epoch FROM trial_summary ORDER BY ordinal').all() as Array<{ordinal: number; converged_epoch: number | null}>;
	t.deepEqual(
		rows.map(row => row.converged_epoch),
		cases.map(valLosses => convergedEpoch(history(valLosses)) ?? null),
	);
	t.deepEqual(rows.map(row => row.converged_epoch), [4, 3, 3, 2, 3, 2, null]);
});
