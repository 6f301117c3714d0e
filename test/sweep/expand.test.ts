import test from 'ava';
import {expandSweep, expandSweepWithStats, repeatSeed, totalEpochs} from '../../src/sweep/expand.js';
import {configHash} from '../../src/sweep/hash.js';
import {builtinConfig, DEFAULT_TRIAL_CONFIG} from '../../src/types.js';
import type {ParameterSpec, SweepDefinition} from '../../src/types.js';
import {deriveSeed} from '../../src/util/random.js';

function definition(overrides: Partial<SweepDefinition>): SweepDefinition {
	return {
		name: 'test',
		method: 'grid',
		seed: 42,
		repeats: 1,
		dataset: {name: 'fashion-mnist-mini', validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG, epochs: 3},
		parameters: {},
		...overrides,
	};
}

function values(...items: unknown[]): ParameterSpec {
	return {kind: 'values', values: items};
}

test('a sweep without parameters is the base config once per repeat', (t) => {
	const specs = expandSweep(definition({repeats: 3}));
	t.is(specs.length, 3);
	for (const spec of specs) {
		t.deepEqual(spec.config, {...DEFAULT_TRIAL_CONFIG, epochs: 3});
	}
	t.deepEqual(
		specs.map((s) => s.repeat),
		[0, 1, 2],
	);
});

test('grid: sorted parameter names, first name slowest, values in file order', (t) => {
	// Written in the file as learningRate first; batchSize sorts first and so varies slowest.
	const specs = expandSweep(definition({parameters: {learningRate: values(0.1, 0.001, 0.01), batchSize: values(64, 16)}}));
	t.deepEqual(
		specs.map((s) => [s.config.batchSize, s.config.learningRate]),
		[
			[64, 0.1],
			[64, 0.001],
			[64, 0.01],
			[16, 0.1],
			[16, 0.001],
			[16, 0.01],
		],
	);
	t.deepEqual(
		specs.map((s) => s.ordinal),
		[0, 1, 2, 3, 4, 5],
	);
	for (const spec of specs) {
		t.is(spec.config.epochs, 3);
		t.is(spec.configHash, configHash(spec.config, {}));
	}
});

test('grid size is the product of list lengths times repeats', (t) => {
	const {specs, configs, duplicatesSkipped} = expandSweepWithStats(
		definition({repeats: 2, parameters: {activation: values('relu', 'tanh', 'gelu'), hidden: values([64], [128, 64]), dropout: values(0, 0.2)}}),
	);
	t.is(configs, 12);
	t.is(specs.length, 24);
	t.is(duplicatesSkipped, 0);
	t.is(new Set(specs.map((s) => `${s.configHash}/${s.repeat}`)).size, 24);
});

test('repeats are repeat-major and every config of a repeat shares its derived seed', (t) => {
	const specs = expandSweep(definition({seed: 5, repeats: 3, parameters: {learningRate: values(0.001, 0.01)}}));
	t.deepEqual(
		specs.map((s) => [s.repeat, s.config.learningRate]),
		[
			[0, 0.001],
			[0, 0.01],
			[1, 0.001],
			[1, 0.01],
			[2, 0.001],
			[2, 0.01],
		],
	);
	for (const spec of specs) {
		t.is(spec.seed, deriveSeed(5, 'repeat', spec.repeat));
		t.is(spec.seed, repeatSeed(5, spec.repeat));
	}
	t.is(new Set(specs.map((s) => s.seed)).size, 3);
	t.is(specs[0].configHash, specs[2].configHash);
});

test('configs do not share arrays with each other or with the definition', (t) => {
	const def = definition({repeats: 2, parameters: {hidden: values([64], [32, 32])}});
	const specs = expandSweep(def);
	(specs[0].config.hidden as number[]).push(1);
	t.deepEqual(specs[2].config.hidden, [64]);
	t.deepEqual((def.parameters.hidden as {values: unknown[]}).values[0], [64]);
	t.deepEqual(def.base.hidden, [64, 64]);
});

test('a distribution in a grid is refused even in a hand-built definition', (t) => {
	t.throws(() => expandSweep(definition({parameters: {learningRate: {kind: 'uniform', min: 0.1, max: 0.2}}})), {message: /parameters\.learningRate: a grid needs a list/});
});

const randomDefinition = (seed: number): SweepDefinition =>
	definition({
		method: 'random',
		seed,
		trials: 50,
		parameters: {
			learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1},
			dropout: {kind: 'uniform', min: 0.1, max: 0.5},
			batchSize: {kind: 'int-uniform', min: 16, max: 20},
			epochs: {kind: 'log-int-uniform', min: 1, max: 100},
			hidden: values([64], [128], [64, 64]),
		},
	});

test('random: the same seed gives the same trials, another seed different ones', (t) => {
	const first = expandSweep(randomDefinition(1));
	t.deepEqual(expandSweep(randomDefinition(1)), first);
	const other = expandSweep(randomDefinition(2));
	t.notDeepEqual(
		other.map((s) => s.configHash),
		first.map((s) => s.configHash),
	);
});

test('random: samples stay within their distributions and int kinds give integers', (t) => {
	const specs = expandSweep(randomDefinition(3));
	t.is(specs.length, 50);
	const hiddens = new Set<string>();
	for (const {config} of specs.map(spec => ({config: builtinConfig(spec.config)}))) {
		t.true(config.learningRate >= 1e-5 && config.learningRate <= 1e-1);
		t.true(config.dropout >= 0.1 && config.dropout <= 0.5);
		t.true(Number.isInteger(config.batchSize) && config.batchSize >= 16 && config.batchSize <= 20);
		t.true(Number.isInteger(config.epochs) && config.epochs >= 1 && config.epochs <= 100);
		hiddens.add(JSON.stringify(config.hidden));
	}
	t.deepEqual([...hiddens].sort(), ['[128]', '[64,64]', '[64]']);
	t.is(new Set(specs.map((s) => s.config.batchSize)).size, 5);
});

test('random: log-uniform spreads evenly over orders of magnitude', (t) => {
	const specs = expandSweep(
		definition({method: 'random', seed: 11, trials: 400, parameters: {learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1}}}),
	);
	const decades = new Array<number>(4).fill(0);
	for (const config of specs.map(spec => builtinConfig(spec.config))) {
		decades[Math.min(3, Math.floor(Math.log10(config.learningRate) + 5))]++;
	}
	// Uniform sampling would put ~90% in the top decade; log-uniform puts ~100 in each.
	for (const count of decades) {
		t.true(count > 60 && count < 140, `decade counts ${decades.join(',')}`);
	}
});

test('random: log-int-uniform favours small integers but reaches both ends', (t) => {
	const specs = expandSweep(definition({method: 'random', seed: 4, trials: 300, parameters: {batchSize: {kind: 'log-int-uniform', min: 1, max: 1024}, dropout: {kind: 'uniform', min: 0, max: 0.5}}}));
	t.is(specs.length, 300, 'the dropout parameter keeps samples distinct');
	const sizes = specs.map((s) => builtinConfig(s.config).batchSize);
	t.true(sizes.filter((s) => s <= 32).length > sizes.filter((s) => s > 32).length);
	t.true(Math.min(...sizes) <= 2);
	t.true(Math.max(...sizes) >= 512);
});

test('random: duplicate samples are skipped, counted, and the result stays deterministic', (t) => {
	const def = definition({method: 'random', seed: 8, trials: 30, repeats: 2, parameters: {activation: values('relu', 'tanh'), batchNorm: values(false, true)}});
	const {specs, configs, duplicatesSkipped} = expandSweepWithStats(def);
	t.is(configs, 4);
	t.is(duplicatesSkipped, 26);
	t.is(specs.length, 8);
	t.is(new Set(specs.slice(0, 4).map((s) => s.configHash)).size, 4);
	t.deepEqual(expandSweepWithStats(def).specs, specs);
});

test('random: without parameters every sample equals the base', (t) => {
	const {specs, duplicatesSkipped} = expandSweepWithStats(definition({method: 'random', trials: 5}));
	t.is(specs.length, 1);
	t.is(duplicatesSkipped, 4);
});

test('totalEpochs sums config.epochs', (t) => {
	const specs = expandSweep(definition({repeats: 2, parameters: {epochs: values(1, 4, 10)}}));
	t.is(totalEpochs(specs), 30);
	t.is(totalEpochs([]), 0);
});
