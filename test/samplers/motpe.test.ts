import {readFileSync} from 'node:fs';
import test from 'ava';
import {lossVectors, multiObjectiveWeights, splitMultiObjective, suggestMotpe} from '../../src/samplers/motpe.js';
import type {MotpeInput, MotpeObservation} from '../../src/samplers/motpe.js';
import {categoricalProbabilities, fitNumeric} from '../../src/samplers/tpe.js';
import type {ParameterSpec} from '../../src/types.js';
import {hypervolume} from '../../src/util/pareto.js';

/** Optuna 3.1's own numbers: test/fixtures/tpe/optuna_mo_reference.py wrote this file. */
interface SplitReference {
	losses: number[][];
	nBelow: number;
	below: number[];
	above: number[];
	weights: number[];
}

interface ParzenReference {
	x: number[];
	c: string[];
	mixture: number[];
	mus: number[];
	sigmas: number[];
	probabilities: number[];
}

const reference = JSON.parse(readFileSync(new URL('../../../test/fixtures/tpe/optuna-mo-reference.json', import.meta.url), 'utf8')) as {
	splits: Record<string, SplitReference>;
	parzen: ParzenReference;
};

const FINISHED = Number.NEGATIVE_INFINITY;

function close(t: import('ava').ExecutionContext, actual: readonly number[], expected: readonly number[], message: string, tolerance = 1e-9): void {
	t.is(actual.length, expected.length, message);
	for (const [i, value] of expected.entries()) {
		t.true(Math.abs(actual[i] - value) <= tolerance * Math.max(1, Math.abs(value)), `${message}[${i}]: ${actual[i]} vs ${value}`);
	}
}

test("the split into good and bad groups is Optuna's: whole fronts while they fit, then greedy hypervolume subset", (t) => {
	for (const [name, split] of Object.entries(reference.splits)) {
		const {below, above} = splitMultiObjective(split.losses, split.losses.map(() => FINISHED), split.nBelow);
		t.deepEqual(below, split.below, name);
		t.deepEqual(above, split.above, name);
	}
});

test("the good group's weights are Optuna's hypervolume contributions, largest 1", (t) => {
	for (const [name, split] of Object.entries(reference.splits)) {
		close(t, multiObjectiveWeights(split.below.map((i) => split.losses[i])), split.weights, name);
	}
	t.deepEqual(multiObjectiveWeights([[1, 2]]), [1]);
	t.deepEqual(multiObjectiveWeights([]), []);
	// A non-finite row gets the floor; the finite ones are weighed among themselves.
	const weights = multiObjectiveWeights([[1, 2], [Number.NaN, 0], [2, 1]]);
	t.is(weights[1], 1e-12);
	t.is(weights[0], 1);
	t.is(weights[2], 1);
});

test("l(x) built with those weights is Optuna's: mixture weights, kernels, categorical probabilities", (t) => {
	const split = reference.splits.concave;
	const {x, c, mixture, mus, sigmas, probabilities} = reference.parzen;
	const below = split.below;
	const model = fitNumeric({kind: 'uniform', min: 0, max: 10}, below.map((i) => x[i]), undefined, split.weights);
	close(t, model.estimator.weights, mixture, 'weights');
	close(t, model.estimator.mus, mus, 'mus');
	close(t, model.estimator.sigmas, sigmas, 'sigmas');
	close(t, categoricalProbabilities(['a', 'b', 'c'], below.map((i) => c[i]), split.weights), probabilities, 'probabilities');
});

test('trials stopped early rank after every finished trial, deeper first; non-finite rows after finite ones', (t) => {
	// The stopped trials (indices 0, 1) have the best values but go to the good group only once finished ones run out.
	const losses = [[0, 0], [0, 0.1], [1, 1], [2, 2], [3, 3]];
	const stages = [-2, -5, FINISHED, FINISHED, FINISHED];
	t.deepEqual(splitMultiObjective(losses, stages, 2).below, [2, 3]);
	t.deepEqual(splitMultiObjective(losses, stages, 4).below, [2, 3, 4, 1]);
	// A diverged trial ranks after the dominated one.
	t.deepEqual(splitMultiObjective([[Number.NaN, 0], [5, 5], [1, 1]], [FINISHED, FINISHED, FINISHED], 2).below, [2, 1]);
	t.deepEqual(splitMultiObjective([[Number.NaN, 0], [5, 5], [1, 1]], [FINISHED, FINISHED, FINISHED], 3).above, []);
});

test('maximised objectives are negated into losses', (t) => {
	t.deepEqual(lossVectors([{params: {}, values: [0.9, 12]}], ['maximize', 'minimize']), [[-0.9, 12]]);
});

const SPACE: Record<string, ParameterSpec> = {
	x: {kind: 'uniform', min: 0, max: 1},
	y: {kind: 'uniform', min: 0, max: 1},
	n: {kind: 'int-uniform', min: 1, max: 8},
	lr: {kind: 'log-uniform', min: 1e-4, max: 1},
	act: {kind: 'values', values: ['relu', 'tanh', 'gelu']},
};

/**
 * Two conflicting objectives, both minimised: the front runs from (x, y) = (0, 0.5) to (1, 0.5) with n = 4, lr = 0.01
 * and act relu; every other setting of n, lr, act and y moves both objectives away from it.
 */
function objectives(params: Record<string, unknown>): number[] {
	const x = params.x as number;
	const penalty = 4 * ((params.y as number) - 0.5) ** 2 + 0.05 * Math.abs((params.n as number) - 4) + 0.1 * Math.abs(Math.log10(params.lr as number) + 2) + (params.act === 'relu' ? 0 : 0.3);
	return [x + penalty, 1 - Math.sqrt(x) + penalty];
}

const REFERENCE = [3, 3];

function input(overrides: Partial<MotpeInput>): MotpeInput {
	return {parameters: SPACE, observations: [], pending: [], directions: ['minimize', 'minimize'], startupTrials: 10, seed: 1, trialNumber: 0, ...overrides};
}

function runStudy(seed: number, trials: number, startupTrials: number): MotpeObservation[] {
	const observations: MotpeObservation[] = [];
	for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
		const params = suggestMotpe(input({observations, seed, trialNumber, startupTrials}));
		observations.push({params, values: objectives(params)});
	}
	return observations;
}

test('the same history gives the same suggestion; another trial number or seed another', (t) => {
	const observations = runStudy(4, 20, 10);
	const a = suggestMotpe(input({observations, trialNumber: 20}));
	t.deepEqual(suggestMotpe(input({observations: structuredClone(observations), trialNumber: 20})), a);
	t.notDeepEqual(suggestMotpe(input({observations, trialNumber: 21})), a);
	t.notDeepEqual(suggestMotpe(input({observations, trialNumber: 20, seed: 2})), a);
	// Running trials are liars in the bad group: they change the suggestion.
	t.notDeepEqual(suggestMotpe(input({observations, trialNumber: 20, pending: [observations[0].params, a]})), a);
	t.deepEqual(runStudy(9, 15, 5), runStudy(9, 15, 5));
});

test('suggestions lie in the space with the right types; start-up ones ignore the history', (t) => {
	for (const observation of runStudy(5, 40, 10)) {
		const {x, y, n, lr, act} = observation.params;
		t.true(typeof x === 'number' && x >= 0 && x <= 1 && typeof y === 'number' && y >= 0 && y <= 1);
		t.true(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 8);
		t.true(typeof lr === 'number' && lr >= 1e-4 && lr <= 1);
		t.true(['relu', 'tanh', 'gelu'].includes(act as string));
	}
	const a = runStudy(6, 4, 4);
	const b = runStudy(7, 4, 4);
	t.deepEqual(suggestMotpe(input({observations: a, startupTrials: 5, trialNumber: 4})), suggestMotpe(input({observations: b, startupTrials: 5, trialNumber: 4})));
	t.notDeepEqual(suggestMotpe(input({observations: a, startupTrials: 4, trialNumber: 4})), suggestMotpe(input({observations: b, startupTrials: 4, trialNumber: 4})));
});

test('bad calls throw RangeError', (t) => {
	t.throws(() => suggestMotpe(input({observations: [{params: {}, values: [1]}]})), {instanceOf: RangeError});
	t.throws(() => suggestMotpe(input({candidates: 0})), {instanceOf: RangeError});
	t.throws(() => suggestMotpe(input({trialNumber: 0.5})), {instanceOf: RangeError});
});

test('multi-objective TPE reaches a larger hypervolume than random search over fixed seeds, and multivariate too', (t) => {
	const seeds = 10;
	const trials = 60;
	const volumes = (startupTrials: number, multivariate = false) =>
		Array.from({length: seeds}, (_, s) => {
			const observations: MotpeObservation[] = [];
			for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
				const params = suggestMotpe(input({observations, seed: 100 + s, trialNumber, startupTrials, multivariate}));
				observations.push({params, values: objectives(params)});
			}
			return hypervolume(observations.map((o) => o.values), REFERENCE);
		});
	const median = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		return (sorted[seeds / 2 - 1] + sorted[seeds / 2]) / 2;
	};
	// startupTrials = trials makes every suggestion random: the same code path for the baseline.
	const random = volumes(trials);
	for (const multivariate of [false, true]) {
		const tpe = volumes(10, multivariate);
		const wins = tpe.filter((v, s) => v > random[s]).length;
		t.true(median(tpe) > median(random), `multivariate ${multivariate}: median ${median(tpe)} vs random ${median(random)}`);
		t.true(wins >= 8, `multivariate ${multivariate}: won ${wins} of ${seeds} seeds (${tpe.map((v) => v.toFixed(2)).join(' ')} vs ${random.map((v) => v.toFixed(2)).join(' ')})`);
	}
});
