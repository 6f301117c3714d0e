import test from 'ava';
import {exportSweep, toCsv} from '../../src/report/export.js';
import {storeWith} from './helpers.js';

test('CSV has one row per epoch, keeps NaN and infinities readable by pandas, and quotes arrays', async t => {
	const {store, sweep} = await storeWith(t, [
		{hidden: 8, valAccuracies: [0.5, Number.NaN], valLosses: [0.9, Number.POSITIVE_INFINITY], outcome: {testAccuracy: Number.NaN}},
		{hidden: 16, valAccuracies: []},
	]);
	const data = exportSweep(sweep, await store.trials(sweep.id), await store.steps(sweep.id));
	const lines = toCsv(data).trimEnd().split('\n');
	t.is(lines.length, 1 + 2 + 1);
	const header = lines[0].split(',');
	const first = Object.fromEntries(header.map((column, index) => [column, lines[1].split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[index]]));
	t.like(first, {sweep: 'widths', state: 'completed', hidden: '[8]', conv: '"[16,32]"', test_accuracy: 'NaN', epoch: '1', val_accuracy: '0.5', converged_epoch: '1', best_epoch: '1'});
	t.true(lines[2].includes(',NaN,') && lines[2].includes(',inf,'));
	// The trial without epochs still appears, with empty epoch columns.
	t.true(lines[3].endsWith(',,,,,,'));
	t.is(data.trials[0].epochs.length, 2);
	t.is(JSON.parse(JSON.stringify(data)).trials[0].testAccuracy, null);
});
