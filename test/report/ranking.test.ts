import test from 'ava';
import {spread} from '../../src/report/leaderboard.js';
import {bestWithinBudget, rankRows, sortRows, tied, timeTied, tradeoff} from '../../src/report/ranking.js';
import {configRow} from './helpers.js';

test('tied when the mean ± std intervals overlap, not when they are apart', t => {
	t.true(tied(spread([0.9, 0.92]), spread([0.89, 0.905])));
	t.false(tied(spread([0.9, 0.901]), spread([0.85, 0.851])));
	t.false(tied(spread([Number.NaN]), spread([Number.NaN])));
	// One repeat has no spread: only an equal mean ties it.
	t.false(tied(spread([0.9]), spread([0.899])));
	t.true(tied(spread([0.9]), spread([0.9])));
});

test('tied configs share a rank; the next config is ranked by its position; NaN configs are unranked and last', t => {
	const rows = rankRows([
		configRow('c', [0.85, 0.851], [1, 1]),
		configRow('nan', [Number.NaN, Number.NaN], [1, 1]),
		configRow('a', [0.9, 0.92], [10, 10]),
		configRow('b', [0.89, 0.905], [5, 5]),
	]);
	t.deepEqual(rows.map(row => [row.configHash, row.rank, row.tied]), [
		['a', 1, true],
		['b', 1, true],
		['c', 3, false],
		['nan', null, false],
	]);
	t.deepEqual(rows.map(row => row.pareto), [true, true, true, false]);
});

test('ties are judged against the first config of a rank, so a chain of small steps does not tie everything', t => {
	const rows = rankRows([
		configRow('a', [0.904, 0.896], [1, 1]),
		configRow('b', [0.899, 0.891], [1, 1]),
		configRow('c', [0.89, 0.882], [1, 1]),
	]);
	t.true(tied(rows[1].value, rows[2].value));
	t.deepEqual(rows.map(row => row.rank), [1, 1, 3]);
});

test('duplicate configs tie and both sit on the front', t => {
	const rows = rankRows([configRow('a', [0.8, 0.82], [3, 3]), configRow('b', [0.8, 0.82], [3, 3])]);
	t.deepEqual(rows.map(row => [row.rank, row.tied, row.pareto]), [[1, true, true], [1, true, true]]);
});

test('a single config is the most accurate, the fastest within the margin and unranked against nothing', t => {
	const result = tradeoff([configRow('only', [0.7], [4])]);
	t.is(result.mostAccurate?.configHash, 'only');
	t.is(result.fastestWithinMargin?.configHash, 'only');
	t.is(result.knee, undefined);
	t.deepEqual(result.rows.map(row => [row.rank, row.tied, row.pareto]), [[1, false, true]]);
});

test('the fastest config within the margin may be less accurate, but not by more than the margin', t => {
	const rows = [
		configRow('best', [0.9], [100]),
		configRow('near', [0.896], [30]),
		configRow('cheap', [0.894], [5]),
	];
	t.is(tradeoff(rows).fastestWithinMargin?.configHash, 'near');
	t.is(tradeoff(rows, {margin: 0.01}).fastestWithinMargin?.configHash, 'cheap');
	t.is(tradeoff(rows, {margin: 0}).fastestWithinMargin?.configHash, 'best');
});

test('no usable config: nothing is named', t => {
	const result = tradeoff([configRow('nan', [Number.NaN], [1])]);
	t.is(result.mostAccurate, undefined);
	t.is(result.fastestWithinMargin, undefined);
});

test('budget and sort orders', t => {
	const ranked = rankRows([configRow('slow', [0.9], [100]), configRow('mid', [0.85], [20]), configRow('fast', [0.8], [5]), configRow('bad', [0.7], [50])]);
	t.is(bestWithinBudget(ranked, 60)?.configHash, 'mid');
	t.is(bestWithinBudget(ranked, 1), undefined);
	t.deepEqual(sortRows(ranked, 'time').map(row => row.configHash), ['fast', 'mid', 'bad', 'slow']);
	t.deepEqual(sortRows(ranked, 'pareto').map(row => row.configHash), ['slow', 'mid', 'fast', 'bad']);
	t.deepEqual(sortRows(ranked, 'accuracy').map(row => row.configHash), ['slow', 'mid', 'fast', 'bad']);
});

test('a ranking by time within the repeats\' spread is a tie: timeTied and the fastest config\'s ties', t => {
	const best = configRow('best', [0.9, 0.902], [40, 60]);
	const near = configRow('near', [0.899, 0.9], [30, 44]);
	const close = configRow('close', [0.898, 0.9], [36, 50]);
	const apart = configRow('apart', [0.897, 0.899], [10, 12]);
	t.true(timeTied(near, best), '37 ± 9.9 s and 50 ± 14.1 s overlap');
	t.false(timeTied(apart, best));
	t.is(timeTied(configRow('once', [0.9], [10]), best), undefined, 'one timing has no spread');
	const result = tradeoff([best, near, close]);
	t.is(result.fastestWithinMargin?.configHash, 'near');
	t.deepEqual(result.fastestTies.map(row => row.configHash).sort(), ['best', 'close']);
	t.deepEqual(tradeoff([best, near, close, apart]).fastestTies, [], 'the fastest is measurably faster than the rest');
});
