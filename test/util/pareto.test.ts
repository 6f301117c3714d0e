import {readFileSync} from 'node:fs';
import test from 'ava';
import {crowdingDistances, dominates, greedyHypervolumeSubset, hypervolume, hypervolumeContributions, hypervolumeHistory, nadirReference, nondominatedRanks, paretoFront} from '../../src/util/pareto.js';
import {createRng} from '../../src/util/random.js';

/** Optuna 3.1's own numbers: test/fixtures/tpe/optuna_mo_reference.py wrote this file. */
interface MoReference {
	splits: Record<string, {losses: number[][]; ranks: number[]}>;
	hypervolumes: Array<{points: number[][]; reference: number[]; hypervolume: number}>;
	hssp: Array<{points: number[][]; size: number; reference: number[]; selected: number[]}>;
	nsga2: Array<{values: number[][]; directions: string[]; crowding: Array<number | 'Infinity'>}>;
}

const reference = JSON.parse(readFileSync(new URL('../../../test/fixtures/tpe/optuna-mo-reference.json', import.meta.url), 'utf8')) as MoReference;

/**
 * The hypervolume by counting unit cells: with integer coordinates, cell [c, c + 1)^d is dominated exactly when some
 * point is <= c in every coordinate. No sampling, no shared code with the function under test.
 */
function gridVolume(points: number[][], ref: number[]): number {
	let count = 0;
	const cell = new Array<number>(ref.length).fill(0);
	const visit = (k: number): void => {
		if (k === ref.length) {
			if (points.some((p) => p.every((value, j) => value <= cell[j]))) {
				count++;
			}
			return;
		}
		for (let c = 0; c < ref[k]; c++) {
			cell[k] = c;
			visit(k + 1);
		}
	};
	visit(0);
	return count;
}

function integerPoints(seed: number, n: number, d: number, max: number): number[][] {
	const rng = createRng(seed);
	return Array.from({length: n}, () => Array.from({length: d}, () => rng.int(0, max)));
}

test('hypervolume: hand-computed areas and volumes', (t) => {
	// [1,4]x[3,4] and [2,4]x[1,4] overlap in [2,4]x[3,4]: 3 + 6 - 2.
	t.is(hypervolume([[1, 3], [2, 1]], [4, 4]), 7);
	t.is(hypervolume([[0, 0]], [2, 3]), 6);
	// Two boxes 2x2x2 and 1x1x4 (from (1,1,0) and (2,2,-2) to (3,3,2)) overlapping in a 1x1x2 block.
	t.is(hypervolume([[1, 1, 0], [2, 2, -2]], [3, 3, 2]), 8 + 4 - 2);
	t.is(hypervolume([[0.5], [0.25]], [1]), 0.75);
	t.is(hypervolume([], [1, 1]), 0);
	// A dominated point adds nothing.
	t.is(hypervolume([[1, 1], [2, 2]], [3, 3]), 4);
});

test('hypervolume: points that do not dominate the reference, and non-finite ones, add nothing', (t) => {
	t.is(hypervolume([[5, 0]], [4, 4]), 0);
	t.is(hypervolume([[4, 0]], [4, 4]), 0);
	t.is(hypervolume([[1, 3], [5, 0], [Number.NaN, 0], [0, Number.POSITIVE_INFINITY]], [4, 4]), 3);
	t.throws(() => hypervolume([[1, 2, 3]], [4, 4]), {instanceOf: RangeError});
});

test('hypervolume equals the count of dominated unit cells on random integer sets in 2, 3 and 4 objectives', (t) => {
	for (let seed = 0; seed < 30; seed++) {
		const d = 2 + (seed % 3);
		const max = d === 4 ? 6 : 12;
		const points = integerPoints(seed, 3 + (seed % 9), d, max);
		const ref = Array.from({length: d}, (_, k) => max + 1 - (k % 2));
		t.is(hypervolume(points, ref), gridVolume(points, ref), `seed ${seed}, ${d} objectives`);
	}
});

test("hypervolume matches Optuna's WFG", (t) => {
	for (const {points, reference: ref, hypervolume: expected} of reference.hypervolumes) {
		const actual = hypervolume(points, ref);
		t.true(Math.abs(actual - expected) <= 1e-12 * Math.max(1, expected), `${points[0].length} objectives: ${actual} vs ${expected}`);
	}
});

test('the hypervolume history is the hypervolume of each prefix, including points outside or dominated', (t) => {
	for (let seed = 0; seed < 12; seed++) {
		const d = 2 + (seed % 3);
		const points = integerPoints(300 + seed, 25, d, 10);
		points.splice(5, 0, new Array<number>(d).fill(Number.NaN));
		const ref = new Array<number>(d).fill(9);
		const history = hypervolumeHistory(points, ref);
		t.deepEqual(history, points.map((_, i) => gridVolume(points.slice(0, i + 1).filter((p) => p.every((v) => Number.isFinite(v))), ref)), `seed ${seed}`);
	}
	t.deepEqual(hypervolumeHistory([], [1, 1]), []);
});

test('contributions: the volume lost without each point; 0 for dominated and duplicated points', (t) => {
	// (1,3) alone covers [1,2)x[3,4): 1; (2,1) alone covers [2,4)x[1,3): 4; (3,3) is dominated by (2,1).
	t.deepEqual(hypervolumeContributions([[1, 3], [2, 1], [3, 3]], [4, 4]), [1, 4, 0]);
	t.deepEqual(hypervolumeContributions([[1, 1], [1, 1], [0, 2]], [3, 3]), [0, 0, 1]);
	t.deepEqual(hypervolumeContributions([[5, 5], [1, 1]], [3, 3]), [0, 4]);
	for (let seed = 0; seed < 10; seed++) {
		const d = 2 + (seed % 2);
		const points = integerPoints(100 + seed, 8, d, 9);
		const ref = new Array<number>(d).fill(10);
		const contributions = hypervolumeContributions(points, ref);
		const whole = gridVolume(points, ref);
		for (const [i, contribution] of contributions.entries()) {
			t.is(contribution, whole - gridVolume(points.filter((_, j) => j !== i), ref), `seed ${seed}, point ${i}`);
		}
	}
});

test('non-dominated ranks: fronts peeled in order, equal rows share a rank, non-finite rows last', (t) => {
	t.deepEqual(nondominatedRanks([[1, 4], [2, 2], [4, 1], [3, 3], [3, 3], [5, 5], [2, 5]]), [0, 0, 0, 1, 1, 2, 1]);
	t.deepEqual(nondominatedRanks([[0, 0], [Number.NaN, 0], [1, 1], [0, Number.NEGATIVE_INFINITY]]), [0, 2, 1, 2]);
	t.deepEqual(nondominatedRanks([]), []);
	t.deepEqual(paretoFront([[1, 4], [2, 2], [3, 3], [Number.NaN, 0]]), [0, 1]);
	t.true(dominates([1, 2], [1, 3]));
	t.false(dominates([1, 2], [1, 2]));
	t.false(dominates([0, 3], [1, 2]));
});

/** Ranks by peeling: the rows no remaining row dominates form the next front. */
function peeledRanks(values: number[][]): number[] {
	const ranks = new Array<number>(values.length).fill(-1);
	for (let rank = 0; ranks.includes(-1); rank++) {
		const front = values.flatMap((row, i) => (ranks[i] === -1 && !values.some((other, j) => ranks[j] === -1 && dominates(other, row)) ? [i] : []));
		for (const i of front) {
			ranks[i] = rank;
		}
	}
	return ranks;
}

test('non-dominated ranks equal peeling on random sets with ties, in 2 objectives (the sweep) and 3 (pairwise)', (t) => {
	for (let seed = 0; seed < 40; seed++) {
		const d = 2 + (seed % 2);
		const points = integerPoints(500 + seed, 5 + seed * 3, d, seed % 4 === 0 ? 3 : 20);
		t.deepEqual(nondominatedRanks(points), peeledRanks(points), `seed ${seed}`);
	}
});

test("non-dominated ranks match Optuna's _calculate_nondomination_rank", (t) => {
	for (const [name, {losses, ranks}] of Object.entries(reference.splits)) {
		t.deepEqual(nondominatedRanks(losses), ranks, name);
	}
});

test("greedy hypervolume subset selection picks what Optuna's _solve_hssp picks, in the same order", (t) => {
	for (const {points, size, reference: ref, selected} of reference.hssp) {
		t.deepEqual(nadirReference(points), ref);
		t.deepEqual(greedyHypervolumeSubset(points, size, ref), selected);
	}
	// The greedy pick is the single largest box first, then the best addition to it.
	t.deepEqual(greedyHypervolumeSubset([[0, 3], [1, 1], [3, 0]], 2, [4, 4]), [1, 0]);
});

test("nadirReference pushes the worst value 10% out, also when it is negative or 0", (t) => {
	t.deepEqual(nadirReference([[1, -2, 0], [2, -4, 0]]), [2 * 1.1, -2 * 0.9, 1e-12]);
});

test("crowding distances match Optuna's NSGA-II", (t) => {
	for (const {values, crowding} of reference.nsga2) {
		const actual = crowdingDistances(values);
		for (const [i, written] of crowding.entries()) {
			const expected = Number(written);
			t.true(actual[i] === expected || Math.abs(actual[i] - expected) <= 1e-12, `row ${i}: ${actual[i]} vs ${expected}`);
		}
	}
	t.deepEqual(crowdingDistances([[1, 1], [1, 1]]), [0, 0]);
	t.deepEqual(crowdingDistances([[0, 2], [1, 1], [2, 0]]), [Number.POSITIVE_INFINITY, 2, Number.POSITIVE_INFINITY]);
});
