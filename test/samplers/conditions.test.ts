import {readFileSync} from 'node:fs';
import test from 'ava';
import {suggestMotpe} from '../../src/samplers/motpe.js';
import {suggestNextTrial, type SamplerHistory, type SamplerObservation} from '../../src/samplers/next.js';
import {suggestNsga2} from '../../src/samplers/nsga2.js';
import {inParameterSpace, parameterGroups, suggestTpe} from '../../src/samplers/tpe.js';
import {isActive} from '../../src/sweep/conditions.js';
import {canonicalJson} from '../../src/sweep/hash.js';
import {DEFAULT_TRIAL_CONFIG, type ParameterSpec, type SweepDefinition, type TrialParams} from '../../src/types.js';
import {createRng} from '../../src/util/random.js';
import {modelFamilySpace, values} from '../sweep/conditional-space.js';

/** Optuna 3.1's group decomposition on fixed histories: test/fixtures/tpe/optuna_groups.py wrote this file. */
const reference = JSON.parse(readFileSync(new URL('../../../test/fixtures/tpe/optuna-groups.json', import.meta.url), 'utf8')) as {
	spaces: Record<string, Record<string, {values: unknown[]; when: Record<string, unknown[]> | null}>>;
	cases: Array<{space: string; trials: string[][]; groups: string[][]}>;
};

const space: Record<string, ParameterSpec> = {
	...modelFamilySpace,
	learningRate: {kind: 'log-uniform', min: 1e-4, max: 1e-1},
	dropout: {kind: 'uniform', min: 0, max: 0.5, when: {model: ['cnn']}},
};

/** Every parameter that applies is there and in its space; every one that does not is absent. */
function assertValid(t: {true: (value: boolean, message?: string) => void}, parameters: Record<string, ParameterSpec>, suggestion: TrialParams): void {
	for (const [name, spec] of Object.entries(parameters)) {
		const active = isActive(parameters, name, suggestion);
		t.true(active === Object.hasOwn(suggestion, name), `${name} in ${JSON.stringify(suggestion)}`);
		if (active) {
			t.true(inParameterSpace(spec, suggestion[name]), `${name}: ${JSON.stringify(suggestion[name])}`);
		}
	}
}

for (const [index, {space: name, trials, groups}] of reference.cases.entries()) {
	test(`group decomposition equals Optuna's (group=True): case ${index} (${name}, ${trials.length} trials)`, (t) => {
		const parameters = Object.fromEntries(Object.entries(reference.spaces[name]).map(([key, {values: items, when}]) => [key, values(items, when ?? undefined)]));
		const observed = trials.map(names => Object.fromEntries(names.map(key => [key, parameters[key].kind === 'values' ? parameters[key].values[0] : 0])));
		t.deepEqual(parameterGroups(parameters, observed), groups);
	});
}

test('without conditions every parameter is in one group, whatever the history', (t) => {
	t.deepEqual(parameterGroups({b: values([1]), a: values([1])}, []), [['a', 'b']]);
});

/** A history: cnn trials are good with conv [32, 64] and dropout near 0.4; mlp trials are middling. */
function history(n: number, seed: number): Array<{params: TrialParams; value: number}> {
	const rng = createRng(seed);
	return Array.from({length: n}, () => {
		const params: TrialParams = {model: rng.next() < 0.5 ? 'cnn' : 'mlp', learningRate: 10 ** (-4 + (3 * rng.next()))};
		if (params.model === 'cnn') {
			params.conv = rng.next() < 0.5 ? [8, 16] : [32, 64];
			params.kernelSize = rng.next() < 0.5 ? 3 : 5;
			params.dropout = 0.5 * rng.next();
			return {params, value: (canonicalJson(params.conv) === '[32,64]' ? 0.9 : 0.3) - Math.abs((params.dropout as number) - 0.4)};
		}
		params.hidden = rng.next() < 0.5 ? [64] : [128, 128];
		return {params, value: 0.5};
	});
}

for (const multivariate of [false, true]) {
	test(`${multivariate ? 'multivariate (grouped)' : 'independent'} TPE: valid suggestions, conditional parameters learnt from the trials that had them`, (t) => {
		const observations = history(60, 3);
		let cnn = 0;
		let wide = 0;
		let dropoutNear = 0;
		for (let trialNumber = 0; trialNumber < 60; trialNumber++) {
			const suggestion = suggestTpe({parameters: space, observations, pending: [], direction: 'maximize', startupTrials: 10, seed: 1, trialNumber, multivariate});
			assertValid(t, space, suggestion);
			if (suggestion.model === 'cnn') {
				cnn++;
				wide += canonicalJson(suggestion.conv) === '[32,64]' ? 1 : 0;
				dropoutNear += Math.abs((suggestion.dropout as number) - 0.4) < 0.1 ? 1 : 0;
			}
		}
		t.log(`cnn ${cnn}/60, conv [32,64] ${wide}/${cnn}, dropout within 0.1 of 0.4 ${dropoutNear}/${cnn}`);
		// The good trials are all cnn: TPE picks the cnn and, among cnn trials, the wide conv and a dropout near 0.4.
		t.true(cnn >= 45, `${cnn}`);
		t.true(wide >= 0.8 * cnn, `${wide}/${cnn}`);
		t.true(dropoutNear >= 0.5 * cnn, `${dropoutNear}/${cnn}`);
	});
}

test('start-up trials sample the conditional space: both branches, only their parameters', (t) => {
	const models = new Set<unknown>();
	for (let trialNumber = 0; trialNumber < 40; trialNumber++) {
		const suggestion = suggestTpe({parameters: space, observations: [], pending: [], direction: 'maximize', startupTrials: 10, seed: 2, trialNumber});
		assertValid(t, space, suggestion);
		models.add(suggestion.model);
	}
	t.deepEqual([...models].sort(), ['cnn', 'mlp']);
});

test('MOTPE and NSGA-II: valid children in a conditional space', (t) => {
	const observations = history(60, 5).map(({params, value}) => ({params, values: [value, (params.learningRate as number) * 10]}));
	for (let trialNumber = 0; trialNumber < 40; trialNumber++) {
		for (const multivariate of [false, true]) {
			assertValid(t, space, suggestMotpe({parameters: space, observations, pending: [], directions: ['maximize', 'minimize'], startupTrials: 10, seed: 3, trialNumber, multivariate}));
		}
		// A population of 10: six generations, so children are bred from mlp and cnn parents alike.
		assertValid(t, space, suggestNsga2({parameters: space, observations, directions: ['maximize', 'minimize'], seed: 3, trialNumber, populationSize: 10, crossoverProb: 1}));
	}
});

test('the sampler sees only the parameters that applied, not the base value a built-in config holds for the others', (t) => {
	// Every mlp config holds conv [8, 16] from base. Counted as an observation of conv, it would put conv in one group
	// with model and learningRate; left out (as it must be), conv is a group of its own, fitted on the cnn trials.
	const base = {...DEFAULT_TRIAL_CONFIG, conv: [8, 16]};
	const parameters: Record<string, ParameterSpec> = {model: values(['mlp', 'cnn']), conv: values([[8, 16], [32, 64]], {model: ['cnn']}), learningRate: {kind: 'log-uniform', min: 1e-4, max: 1e-1}};
	const definition: SweepDefinition = {name: 'c', method: 'tpe', seed: 4, repeats: 1, trials: 1000, startupTrials: 5, multivariate: true, dataset: {name: 'fashion-mnist-mini', validation: 0.1}, base, parameters};
	const observations: SamplerObservation[] = history(40, 8).map(({params, value}) => ({config: {...base, ...params}, values: [value]}));
	const samplerHistory: SamplerHistory = {size: observations.length, observations: () => ({observations, pending: []})};
	const spec = suggestNextTrial(definition, samplerHistory)!;
	const stripped = history(40, 8).map(({params, value}) => ({params: Object.fromEntries(Object.entries(params).filter(([key]) => key in parameters)), value}));
	const expected = suggestTpe({parameters, observations: stripped, pending: [], direction: 'maximize', startupTrials: 5, seed: 4, trialNumber: 40, multivariate: true});
	t.deepEqual(parameterGroups(parameters, stripped.map(({params}) => params)), [['conv'], ['learningRate', 'model']]);
	t.deepEqual(spec.config, {...base, ...expected});
	const unstripped = observations.map(({config, values: [value]}) => ({params: {model: config.model, conv: config.conv, learningRate: config.learningRate}, value}));
	t.notDeepEqual(suggestTpe({parameters, observations: unstripped, pending: [], direction: 'maximize', startupTrials: 5, seed: 4, trialNumber: 40, multivariate: true}), expected);
});
