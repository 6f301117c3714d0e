import {readFileSync} from 'node:fs';
import test from 'ava';
import type {MotpeObservation} from '../../src/samplers/motpe.js';
import {elite, parentPopulation, suggestNsga2} from '../../src/samplers/nsga2.js';
import type {Nsga2Input} from '../../src/samplers/nsga2.js';
import type {ParameterSpec} from '../../src/types.js';
import {hypervolume} from '../../src/util/pareto.js';

/** Optuna 3.1's own numbers: test/fixtures/tpe/optuna_mo_reference.py wrote this file. */
const reference = JSON.parse(readFileSync(new URL('../../../test/fixtures/tpe/optuna-mo-reference.json', import.meta.url), 'utf8')) as {
	nsga2: Array<{values: number[][]; directions: Array<'maximize' | 'minimize'>; populationSize: number; elite: number[]}>;
};

const SPACE: Record<string, ParameterSpec> = {
	x: {kind: 'uniform', min: 0, max: 1},
	y: {kind: 'uniform', min: 0, max: 1},
	n: {kind: 'int-uniform', min: 1, max: 8},
	act: {kind: 'values', values: ['relu', 'tanh', 'gelu']},
};

function objectives(params: Record<string, unknown>): number[] {
	const x = params.x as number;
	const penalty = 4 * ((params.y as number) - 0.5) ** 2 + 0.05 * Math.abs((params.n as number) - 4) + (params.act === 'relu' ? 0 : 0.3);
	return [x + penalty, 1 - Math.sqrt(x) + penalty];
}

function input(overrides: Partial<Nsga2Input>): Nsga2Input {
	return {parameters: SPACE, observations: [], directions: ['minimize', 'minimize'], seed: 1, trialNumber: 0, ...overrides};
}

function runStudy(seed: number, trials: number, populationSize: number): MotpeObservation[] {
	const observations: MotpeObservation[] = [];
	for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
		const params = suggestNsga2(input({observations, seed, trialNumber, populationSize}));
		observations.push({params, values: objectives(params)});
	}
	return observations;
}

test("the elite is Optuna's: whole fronts while they fit, then the largest crowding distances", (t) => {
	for (const {values, directions, populationSize, elite: expected} of reference.nsga2) {
		const members = values.map((row, index) => ({params: {}, loss: row.map((v, k) => (directions[k] === 'maximize' ? -v : v)), index}));
		t.deepEqual(elite(members, populationSize).map((member) => member.index).sort((a, b) => a - b), expected);
	}
});

test('generations are runs of populationSize finished trials; stopped and diverged trials belong to none', (t) => {
	const observations: MotpeObservation[] = [[1, 1], [0, 2], [2, 0], [3, 3], [0.5, 0.5], [9, 9], [0.1, 0.1]].map((values, i) => ({params: {i}, values}));
	// Before the first generation is complete there are no parents.
	t.deepEqual(parentPopulation(observations.slice(0, 3), ['minimize', 'minimize'], 4), []);
	// Generation 0 is trials 0-3: its elite of 4 is all of it.
	t.deepEqual(parentPopulation(observations.slice(0, 6), ['minimize', 'minimize'], 4).map((m) => m.params.i).sort(), [0, 1, 2, 3]);
	// Generation 1 (trials 4-7) is not complete until trial 7 exists; then the elite of both keeps the best 4.
	const complete = [...observations, {params: {i: 7}, values: [8, 8]}];
	t.deepEqual(parentPopulation(complete, ['minimize', 'minimize'], 4).map((m) => m.params.i).sort(), [1, 2, 4, 6]);
	// A stopped and a diverged trial do not count: trial 8 then completes generation 1.
	const withSkipped = [...observations, {params: {i: 'stopped'}, values: [0, 0], stoppedAt: 2}, {params: {i: 'nan'}, values: [Number.NaN, 0]}, {params: {i: 8}, values: [8, 8]}];
	t.deepEqual(parentPopulation(withSkipped, ['minimize', 'minimize'], 4).map((m) => m.params.i).sort(), [1, 2, 4, 6]);
	// Maximised objectives are negated: (9, 9) is now the best point.
	t.true(parentPopulation(complete, ['maximize', 'maximize'], 4).some((m) => m.params.i === 5));
});

test('without mutation every value of a child comes from a parent, and crossover mixes two parents', (t) => {
	const observations = runStudy(3, 20, 10);
	const parents = parentPopulation(observations, ['minimize', 'minimize'], 10);
	t.is(parents.length, 10);
	let mixed = 0;
	for (let trialNumber = 20; trialNumber < 60; trialNumber++) {
		const child = suggestNsga2(input({observations, trialNumber, populationSize: 10, mutationProb: 0}));
		for (const name of Object.keys(SPACE)) {
			t.true(parents.some((parent) => parent.params[name] === child[name]), `${name} = ${String(child[name])}`);
		}
		if (!parents.some((parent) => Object.keys(SPACE).every((name) => parent.params[name] === child[name]))) {
			mixed++;
		}
	}
	t.true(mixed > 10, `${mixed} of 40 children differ from every parent`);
	// With mutation certain, children are random draws.
	const mutated = suggestNsga2(input({observations, trialNumber: 20, populationSize: 10, mutationProb: 1}));
	t.false(parents.some((parent) => parent.params.x === mutated.x));
});

test('deterministic per seed and trial number; suggestions lie in the space', (t) => {
	const observations = runStudy(4, 30, 10);
	const a = suggestNsga2(input({observations, trialNumber: 30, populationSize: 10}));
	t.deepEqual(suggestNsga2(input({observations: structuredClone(observations), trialNumber: 30, populationSize: 10})), a);
	t.deepEqual(runStudy(5, 25, 10), runStudy(5, 25, 10));
	const several = Array.from({length: 5}, (_, k) => suggestNsga2(input({observations, trialNumber: 31 + k, populationSize: 10})));
	t.true(several.some((b) => JSON.stringify(b) !== JSON.stringify(a)));
	for (const {params} of runStudy(6, 40, 10)) {
		t.true((params.x as number) >= 0 && (params.x as number) <= 1);
		t.true(Number.isInteger(params.n) && (params.n as number) >= 1 && (params.n as number) <= 8);
		t.true(['relu', 'tanh', 'gelu'].includes(params.act as string));
	}
});

test('a value a parent holds outside the space (the space changed on resume) is drawn afresh', (t) => {
	const observations = runStudy(8, 10, 5).map((observation) => ({...observation, params: {...observation.params, n: 50, act: 'selu'}}));
	for (let trialNumber = 10; trialNumber < 30; trialNumber++) {
		const child = suggestNsga2(input({observations, trialNumber, populationSize: 5, mutationProb: 0}));
		t.true(Number.isInteger(child.n) && (child.n as number) >= 1 && (child.n as number) <= 8, `n = ${String(child.n)}`);
		t.true(['relu', 'tanh', 'gelu'].includes(child.act as string), `act = ${String(child.act)}`);
	}
});

test('bad calls throw RangeError', (t) => {
	t.throws(() => suggestNsga2(input({populationSize: 1})), {instanceOf: RangeError});
	t.throws(() => suggestNsga2(input({mutationProb: 1.5})), {instanceOf: RangeError});
	t.throws(() => suggestNsga2(input({observations: [{params: {}, values: [1, 2, 3]}]})), {instanceOf: RangeError});
});

test('NSGA-II reaches a larger hypervolume than its own random first generation would over fixed seeds', (t) => {
	// 8 generations of 10: the same budget spent at random (populationSize above the budget keeps every trial random).
	const volume = (seed: number, populationSize: number) => hypervolume(runStudy(seed, 80, populationSize).map((o) => o.values), [3, 3]);
	let wins = 0;
	const seeds = 10;
	for (let seed = 0; seed < seeds; seed++) {
		if (volume(200 + seed, 10) > volume(200 + seed, 1000)) {
			wins++;
		}
	}
	t.true(wins >= 8, `won ${wins} of ${seeds} seeds`);
});
