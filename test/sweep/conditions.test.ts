import {join} from 'node:path';
import test from 'ava';
import {activeCombinationCount, activeParams, conditionProblems, isActive, parameterOrder, parseWhen} from '../../src/sweep/conditions.js';
import {expandSweep, expandSweepWithStats} from '../../src/sweep/expand.js';
import {configHash, definitionHash} from '../../src/sweep/hash.js';
import {readSweepFile} from '../../src/sweep/read.js';
import {checkSweep} from '../../src/sweep/check.js';
import {checkBuiltinSweep, gridConfigCount} from '../../src/sweep/schema.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';
import type {ParameterSpec, SweepDefinition} from '../../src/types.js';
import {modelFamilySpace, values} from './conditional-space.js';

const fixture = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'sweeps', 'good', 'conditional.yaml');

const space = modelFamilySpace;

function definition(overrides: Partial<SweepDefinition>): SweepDefinition {
	return {name: 'test', method: 'grid', seed: 7, repeats: 1, dataset: {name: 'fashion-mnist-mini', validation: 0.1}, base: {...DEFAULT_TRIAL_CONFIG, epochs: 1}, parameters: space, ...overrides};
}

test('the sweep file reads into conditions as lists of values', async (t) => {
	const {definition} = await readSweepFile(fixture);
	t.deepEqual(definition.parameters.conv, {kind: 'values', values: [[8, 16], [32, 64]], when: {model: ['cnn']}});
	t.deepEqual(definition.parameters.hidden.when, {model: ['mlp']});
	t.is(definition.parameters.model.when, undefined);
});

test('parseWhen: one value stands for a list of one; a list lists the values', (t) => {
	t.deepEqual(parseWhen({model: 'cnn'}), {problems: [], when: {model: ['cnn']}});
	t.deepEqual(parseWhen({model: ['cnn', 'mlp'], hidden: [[64]]}), {problems: [], when: {model: ['cnn', 'mlp'], hidden: [[64]]}});
	t.regex(parseWhen({}).problems[0].message, /expected a mapping/);
	t.regex(parseWhen({model: []}).problems[0].message, /empty list/);
});

test('parameters are decided after those their conditions name, else in sorted order', (t) => {
	t.deepEqual(parameterOrder(space), ['model', 'conv', 'hidden', 'kernelSize']);
	const chain = {a: values([1, 2], {c: [true]}), b: values([1, 2]), c: values([true, false], {b: [2]})};
	t.deepEqual(parameterOrder(chain), ['b', 'c', 'a']);
	t.deepEqual(parameterOrder({b: values([1]), a: values([1])}), ['a', 'b']);
});

test('a parameter applies only when every parameter it names applies and takes an allowed value', (t) => {
	const chain = {b: values([1, 2]), c: values([true, false], {b: [2]}), a: values([1, 2], {c: [true]})};
	t.true(isActive(chain, 'a', {b: 2, c: true}));
	t.false(isActive(chain, 'a', {b: 2, c: false}));
	// c does not apply (b is 1), so a does not either, whatever value c holds in the config (a base value).
	t.false(isActive(chain, 'a', {b: 1, c: true}));
	t.deepEqual(activeParams(space, {model: 'mlp', conv: [8, 16], kernelSize: 3, hidden: [64], other: 1}), {model: 'mlp', hidden: [64]});
});

test('grid: only the combinations the conditions allow, each once, inactive settings at their base values', (t) => {
	const {specs, configs} = expandSweepWithStats(definition({}));
	// mlp: 2 hidden; cnn: 2 conv x 2 kernel sizes. The full product would be 16.
	t.is(configs, 6);
	t.is(activeCombinationCount(space), 6);
	t.is(new Set(specs.map(spec => spec.configHash)).size, 6);
	for (const {config} of specs) {
		if (config.model === 'mlp') {
			t.deepEqual([config.conv, config.kernelSize], [DEFAULT_TRIAL_CONFIG.conv, DEFAULT_TRIAL_CONFIG.kernelSize]);
		} else {
			t.deepEqual(config.hidden, DEFAULT_TRIAL_CONFIG.hidden);
		}
	}
	t.deepEqual(specs.map(spec => spec.config.model), ['mlp', 'mlp', 'cnn', 'cnn', 'cnn', 'cnn']);
});

test('an inactive parameter leaves the config hash of the config that never had it', (t) => {
	const [mlp] = expandSweep(definition({}));
	const plain = expandSweep(definition({parameters: {model: values(['mlp'])}}))[0];
	t.deepEqual(mlp.config, {...plain.config, hidden: [64]});
	const withoutHidden = expandSweep(definition({parameters: {model: values(['mlp']), hidden: values([[64]])}}))[0];
	t.is(mlp.configHash, withoutHidden.configHash);
	t.is(configHash({...DEFAULT_TRIAL_CONFIG, epochs: 1, model: 'cnn', conv: [8, 16], kernelSize: 3}, {}), expandSweep(definition({}))[2].configHash);
});

test('program sweeps: an inactive parameter is absent from the params', (t) => {
	const program = definition({program: {command: ['true']}, base: {epochs: 1}, parameters: {arch: values(['shallow', 'deep']), depth: values([2, 4], {arch: ['deep']})}});
	t.deepEqual(expandSweep(program).map(spec => spec.config), [{epochs: 1, arch: 'shallow'}, {epochs: 1, arch: 'deep', depth: 2}, {epochs: 1, arch: 'deep', depth: 4}]);
});

test('random: conditional parameters drawn only where they apply; unconditional sweeps sample as before', (t) => {
	const random = definition({method: 'random', trials: 200, parameters: {...space, learningRate: {kind: 'log-uniform', min: 1e-4, max: 1e-1, when: {model: ['cnn']}}}});
	const specs = expandSweep(random);
	t.true(specs.length > 10);
	const models = new Set<unknown>();
	for (const {config} of specs) {
		models.add(config.model);
		if (config.model === 'mlp') {
			t.is(config.learningRate, DEFAULT_TRIAL_CONFIG.learningRate);
			t.deepEqual(config.conv, DEFAULT_TRIAL_CONFIG.conv);
		} else {
			t.not(config.learningRate, DEFAULT_TRIAL_CONFIG.learningRate);
			t.deepEqual(config.hidden, DEFAULT_TRIAL_CONFIG.hidden);
		}
	}
	t.deepEqual(models, new Set(['mlp', 'cnn']));
	// Without conditions the draws are those of the same sweep before conditions existed: the first trial's values.
	const plain = definition({method: 'random', trials: 3, parameters: {model: values(['mlp', 'cnn']), kernelSize: values([3, 5])}});
	const conditional = definition({method: 'random', trials: 3, parameters: {model: values(['mlp', 'cnn']), kernelSize: values([3, 5], {model: ['mlp', 'cnn']})}});
	t.deepEqual(expandSweep(conditional).map(spec => spec.config), expandSweep(plain).map(spec => spec.config));
	t.not(definitionHash(conditional), definitionHash(plain));
});

test('condition problems: unknown, self, base setting, distribution, impossible value, cycle', (t) => {
	const messages = (parameters: Record<string, ParameterSpec>, fixed: string[] = []) => conditionProblems(parameters, new Set(fixed)).map(problem => `${problem.path.join('.')}: ${problem.message}`);
	t.deepEqual(messages(space), []);
	t.regex(messages({...space, conv: values([[8]], {modle: ['cnn']})})[0], /^parameters\.conv\.when\.modle: unknown parameter "modle" \(did you mean "model"\?\)/);
	t.regex(messages({a: values([1], {a: [1]})})[0], /cannot depend on itself/);
	t.regex(messages({a: values([1], {model: ['cnn']})}, ['model'])[0], /model is not swept/);
	t.regex(messages({lr: {kind: 'uniform', min: 0, max: 1}, a: values([1], {lr: [0.5]})})[0], /lr is a uniform distribution/);
	t.regex(messages({...space, conv: values([[8]], {model: ['cnn', 'rnn']})})[0], /model never takes "rnn"/);
	const cycle = messages({a: values([1], {b: [1]}), b: values([1], {c: [1]}), c: values([1], {a: [1]})});
	t.deepEqual(cycle, ['parameters.a.when: the conditions form a cycle (a -> b -> c -> a), so none of them could ever apply (make one of them unconditional)']);
});

test('the grid limit counts active combinations only', (t) => {
	// 2 x 2^16 combinations as a full product, but the 16 flags apply only to the cnn: 1 + 2^16 configs, under the limit.
	const flags = Object.fromEntries(Array.from({length: 16}, (_, i) => [`p${i}`, values([0, 1], {model: ['cnn']})]));
	t.is(activeCombinationCount({model: values(['mlp', 'cnn']), ...flags}), 1 + (2 ** 16));
	t.is(activeCombinationCount({model: values(['mlp', 'cnn']), a: values([1, 2, 3])}), 6);
	// docs/sweep-files.md's example: a chain (dropout applies where hidden does and is [128, 128]).
	const chained = {...space, dropout: values([0, 0.3], {hidden: [[128, 128]]})};
	t.is(activeCombinationCount(chained), 7);
	t.is(expandSweep(definition({parameters: chained})).length, 7);
});

test('a grid whose full product is over the trial limit loads when its active combinations are not', (t) => {
	const conv = Array.from({length: 30}, (_, i) => [i + 1]);
	const hidden = Array.from({length: 30}, (_, i) => [i + 1]);
	const file = (when: boolean) => ({
		name: 'big',
		method: 'grid',
		dataset: {name: 'fashion-mnist-mini'},
		parameters: {
			model: ['mlp', 'cnn'],
			conv: when ? {choice: conv, when: {model: 'cnn'}} : conv,
			kernelSize: when ? {choice: [1, 3, 5, 7], when: {model: 'cnn'}} : [1, 3, 5, 7],
			hidden: when ? {choice: hidden, when: {model: 'mlp'}} : hidden,
			learningRate: Array.from({length: 20}, (_, i) => 0.001 * (i + 1)),
			batchSize: Array.from({length: 10}, (_, i) => 8 * (i + 1)),
		},
	});
	// (30 hidden + 30 conv x 4 kernel sizes) x 20 x 10 = 30,000 configs; the full product would be 1,440,000.
	const conditional = checkBuiltinSweep(file(true));
	t.true(conditional.ok);
	t.is(conditional.ok && gridConfigCount(conditional.definition.parameters), 30_000);
	const full = checkBuiltinSweep(file(false));
	t.false(full.ok);
	t.regex(full.ok ? '' : full.problems[0].message, /the grid expands to 1440000 trials/);
});

test('program sweeps take when on choices and distributions, and check it as built-in sweeps do', (t) => {
	const file = (parameters: Record<string, unknown>) => checkSweep({name: 'p', method: 'random', trials: 5, program: {module: './objective.js'}, metric: {name: 'score', goal: 'maximize'}, parameters});
	const good = file({arch: ['shallow', 'deep'], depth: {choice: [2, 4], when: {arch: 'deep'}}, lr: {distribution: 'log-uniform', min: 0.001, max: 0.1, when: {arch: ['shallow', 'deep']}}});
	t.true(good.ok, good.ok ? '' : JSON.stringify(good.problems));
	t.deepEqual(good.ok && good.definition.parameters.depth, {kind: 'values', values: [2, 4], when: {arch: ['deep']}});
	t.deepEqual(good.ok && good.definition.parameters.lr.when, {arch: ['shallow', 'deep']});
	const bad = file({arch: ['shallow', 'deep'], depth: {choice: [2, 4], when: {arch: 'wide'}}});
	t.false(bad.ok);
	t.deepEqual(bad.ok ? [] : bad.problems.map(problem => problem.path.join('.')), ['parameters.depth.when.arch']);
	const alone = file({arch: ['shallow', 'deep'], depth: {when: {arch: 'deep'}}});
	t.regex(alone.ok ? '' : alone.problems[0].message, /a parameter with when needs its values next to it/);
});
