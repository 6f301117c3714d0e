import test from 'ava';
import {UsageError} from '../../src/errors.js';
import {parameterImportance} from '../../src/report/importance.js';
import type {ImportanceObservation} from '../../src/report/importance.js';
import type {ParameterSpec} from '../../src/types.js';
import {createRng} from '../../src/util/random.js';

const UNIT: ParameterSpec = {kind: 'uniform', min: 0, max: 1};

/** n configs drawn uniformly from the unit cube, scored by f. */
function sample(names: string[], n: number, f: (x: Record<string, number>) => number, seed = 1): ImportanceObservation[] {
	const rng = createRng(seed);
	return Array.from({length: n}, () => {
		const params = Object.fromEntries(names.map(name => [name, rng.next()]));
		return {params, value: f(params)};
	});
}

const share = (result: ReturnType<typeof parameterImportance>, name: string): number => result.parameters.find(p => p.name === name)!.importance;

test('an additive function: shares follow the variance of each term, and a parameter with no effect gets about 0', t => {
	// Var(x) = 1/12 on [0, 1]: f = x + 2y + 0z has shares 1/5, 4/5 and 0.
	const parameters = {x: UNIT, y: UNIT, z: UNIT};
	const result = parameterImportance(parameters, sample(['x', 'y', 'z'], 300, p => p.x + (2 * p.y)));
	t.log(result.parameters.map(p => `${p.name} ${p.importance.toFixed(3)}`).join(', '));
	t.deepEqual(result.parameters.map(p => p.name), ['y', 'x', 'z']);
	t.true(Math.abs(share(result, 'y') - 0.8) < 0.06, `y ${share(result, 'y')}`);
	t.true(Math.abs(share(result, 'x') - 0.2) < 0.06, `x ${share(result, 'x')}`);
	t.true(share(result, 'z') < 0.02, `z ${share(result, 'z')}`);
	t.is(result.trials, 300);
});

test('a pure interaction shows up as the top pair, not as main effects', t => {
	// (x - 1/2)(y - 1/2) has no main effect at all: its whole variance is the x-y interaction.
	const parameters = {x: UNIT, y: UNIT, z: UNIT};
	const result = parameterImportance(parameters, sample(['x', 'y', 'z'], 400, p => (p.x - 0.5) * (p.y - 0.5)));
	t.log(result.parameters.map(p => `${p.name} ${p.importance.toFixed(3)}`).join(', '), result.topInteraction);
	t.deepEqual(result.topInteraction?.names, ['x', 'y']);
	t.true(result.topInteraction!.importance > 0.6, `interaction ${result.topInteraction!.importance}`);
	for (const p of result.parameters) {
		t.true(p.importance < 0.15, `${p.name} ${p.importance}`);
	}
});

test('log, integer and categorical parameters: the dominant one first, the one with no effect about 0', t => {
	const parameters: Record<string, ParameterSpec> = {
		learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1},
		activation: {kind: 'values', values: ['relu', 'tanh', 'sigmoid']},
		batchSize: {kind: 'log-int-uniform', min: 16, max: 512},
		seedNoise: {kind: 'int-uniform', min: 0, max: 9},
	};
	const rng = createRng(5);
	const observations = Array.from({length: 300}, () => {
		const params = {
			learningRate: Math.exp(Math.log(1e-5) + (rng.next() * (Math.log(1e-1) - Math.log(1e-5)))),
			activation: ['relu', 'tanh', 'sigmoid'][rng.int(0, 2)],
			batchSize: rng.int(16, 512),
			seedNoise: rng.int(0, 9),
		};
		// Accuracy peaks at lr 1e-3 (on a log scale); sigmoid costs a little; batch size and seedNoise do nothing.
		const value = 0.9 - (0.05 * ((Math.log10(params.learningRate) + 3) ** 2)) - (params.activation === 'sigmoid' ? 0.03 : 0);
		return {params, value};
	});
	const result = parameterImportance(parameters, observations);
	t.log(result.parameters.map(p => `${p.name} ${p.importance.toFixed(3)}`).join(', '));
	t.is(result.parameters[0].name, 'learningRate');
	t.is(result.parameters[1].name, 'activation');
	t.true(share(result, 'batchSize') < 0.03, `batchSize ${share(result, 'batchSize')}`);
	t.true(share(result, 'seedNoise') < 0.03, `seedNoise ${share(result, 'seedNoise')}`);
});

test('the same observations and seed give the same importances', t => {
	const observations = sample(['x', 'y'], 50, p => Math.sin(6 * p.x) + p.y);
	t.deepEqual(parameterImportance({x: UNIT, y: UNIT}, observations), parameterImportance({x: UNIT, y: UNIT}, observations));
});

test('fewer than two finished configs with a finite value is a usage error; non-finite values are left out', t => {
	const one = [{params: {x: 0.5}, value: 1}, {params: {x: 0.5}, value: 2}, {params: {x: 0.7}, value: Number.NaN}];
	t.throws(() => parameterImportance({x: UNIT}, one), {instanceOf: UsageError, message: /at least two finished configs.*got 1/});
	const two = [...one, {params: {x: 0.9}, value: 3}];
	t.is(parameterImportance({x: UNIT}, two).trials, 3);
});

test('a parameter that cannot vary is left out rather than given a share', t => {
	const parameters: Record<string, ParameterSpec> = {x: UNIT, fixed: {kind: 'values', values: [32]}};
	const result = parameterImportance(parameters, sample(['x'], 20, p => p.x).map(o => ({...o, params: {...o.params, fixed: 32}})));
	t.deepEqual(result.parameters.map(p => p.name), ['x']);
	t.is(result.topInteraction, undefined);
});

test('a sweep of more configs than the forest takes is subsampled, and says so', t => {
	const observations = sample(['x', 'y'], 650, p => (3 * p.x) + p.y);
	const result = parameterImportance({x: UNIT, y: UNIT}, observations);
	t.is(result.trials, 500);
	t.is(result.sampledFrom, 650);
	t.deepEqual(result.parameters.map(p => p.name), ['x', 'y']);
	t.true(Math.abs(share(result, 'x') - 0.9) < 0.05, `x ${share(result, 'x')}`);
	t.is(parameterImportance({x: UNIT, y: UNIT}, observations.slice(0, 100)).sampledFrom, undefined);
});

test('a conditional parameter is left out (as Optuna weighs the intersection search space), every trial kept', t => {
	const parameters: Record<string, ParameterSpec> = {
		model: {kind: 'values', values: ['mlp', 'cnn']},
		kernelSize: {kind: 'values', values: [3, 5], when: {model: ['cnn']}},
	};
	const rng = createRng(2);
	const observations: ImportanceObservation[] = Array.from({length: 40}, (_, i) => {
		// An mlp config holds the base kernelSize 7, which is not one of the swept values.
		const params = i % 2 === 0 ? {model: 'mlp', kernelSize: 7} : {model: 'cnn', kernelSize: rng.next() < 0.5 ? 3 : 5};
		return {params, value: (params.model === 'cnn' ? 1 : 0) + (0.01 * rng.next())};
	});
	const result = parameterImportance(parameters, observations, {seed: 1});
	t.deepEqual(result.parameters.map(p => p.name), ['model']);
	t.is(result.trials, 40);
});
