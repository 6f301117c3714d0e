import {readFileSync} from 'node:fs';
import test from 'ava';
import {BAD_PRIOR_SHARE, categoricalProbabilities, coverage, defaultGamma, defaultWeights, fitJoint, fitNumeric, jointLogPdfAt, numericLogPdf, suggestTpe} from '../../src/samplers/tpe.js';
import type {TpeInput, TpeObservation} from '../../src/samplers/tpe.js';
import type {ParameterSpec} from '../../src/types.js';

/** Optuna 3.1's own Parzen estimators on small fixed histories: test/fixtures/tpe/optuna_reference.py wrote this file. */
interface ReferenceCase {
	kind: ParameterSpec['kind'];
	observations: unknown[];
	points: unknown[];
	weights: number[];
	min?: number;
	max?: number;
	mus?: number[];
	sigmas?: number[];
	choices?: unknown[];
	probabilities?: number[];
	/** Optuna's log_pdf with its later fixes (PR #5110, PR #6258): what sweeplab computes. */
	logPdf: number[];
	/** Optuna 3.1's log_pdf as shipped. */
	logPdf31: number[];
}

interface JointReference {
	observations: Array<Record<string, unknown>>;
	points: Array<Record<string, unknown>>;
	sigmas: Record<string, number[]>;
	logPdf: number[];
	logPdf31: number[];
}

const reference = JSON.parse(readFileSync(new URL('../../../test/fixtures/tpe/optuna-reference.json', import.meta.url), 'utf8')) as {cases: Record<string, ReferenceCase>; joint: JointReference};

const SPACE: Record<string, ParameterSpec> = {
	learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1},
	hidden: {kind: 'values', values: [[16], [32], [64], [128], [256], [512], [128, 128]]},
	dropout: {kind: 'uniform', min: 0, max: 0.5},
	batchSize: {kind: 'log-int-uniform', min: 16, max: 512},
	epochs: {kind: 'int-uniform', min: 1, max: 20},
};

/** Peaked at learningRate 1e-3 (log scale), hidden [128], dropout 0.2, batch 64, epochs 12; the maximum is 0. */
function objective(params: Record<string, unknown>): number {
	const lr = params.learningRate as number;
	const hidden = params.hidden as number[];
	const units = hidden.length === 1 ? hidden[0] : 8;
	const dropout = params.dropout as number;
	const batch = params.batchSize as number;
	const epochs = params.epochs as number;
	return (
		-((Math.log10(lr) + 3) ** 2) -
		0.5 * Math.abs(Math.log2(units / 128)) -
		10 * (dropout - 0.2) ** 2 -
		0.3 * Math.abs(Math.log2(batch / 64)) -
		0.02 * Math.abs(epochs - 12)
	);
}

function input(overrides: Partial<TpeInput>): TpeInput {
	return {
		parameters: SPACE,
		observations: [],
		pending: [],
		direction: 'maximize',
		startupTrials: 10,
		seed: 7,
		trialNumber: 0,
		...overrides,
	};
}

/** A sequential study: every suggestion is evaluated before the next. startupTrials >= trials makes it random search. */
function runStudy(seed: number, trials: number, startupTrials: number, direction: 'maximize' | 'minimize' = 'maximize'): TpeObservation[] {
	const observations: TpeObservation[] = [];
	for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
		const params = suggestTpe(input({observations, seed, trialNumber, startupTrials, direction}));
		const value = objective(params);
		observations.push({params, value: direction === 'maximize' ? value : -value});
	}
	return observations;
}

function history(seed: number, count: number): TpeObservation[] {
	return runStudy(seed, count, count);
}

function assertInSpace(t: import('ava').ExecutionContext, params: Record<string, unknown>): void {
	t.deepEqual(Object.keys(params).sort(), Object.keys(SPACE).sort());
	const lr = params.learningRate as number;
	t.true(typeof lr === 'number' && lr >= 1e-5 && lr <= 1e-1, `learningRate ${lr}`);
	const dropout = params.dropout as number;
	t.true(typeof dropout === 'number' && dropout >= 0 && dropout <= 0.5, `dropout ${dropout}`);
	const batch = params.batchSize as number;
	t.true(Number.isInteger(batch) && batch >= 16 && batch <= 512, `batchSize ${batch}`);
	const epochs = params.epochs as number;
	t.true(Number.isInteger(epochs) && epochs >= 1 && epochs <= 20, `epochs ${epochs}`);
	const hidden = params.hidden;
	t.true(
		(SPACE.hidden as {values: unknown[]}).values.some((value) => JSON.stringify(value) === JSON.stringify(hidden)),
		`hidden ${JSON.stringify(hidden)}`,
	);
}

test('defaults follow Optuna: gamma min(ceil(0.1 n), 25), flat weights up to 25 then a ramp from 1/n', (t) => {
	t.is(defaultGamma(0), 0);
	t.is(defaultGamma(1), 1);
	t.is(defaultGamma(11), 2);
	t.is(defaultGamma(1000), 25);
	t.deepEqual(defaultWeights(3), [1, 1, 1]);
	const weights = defaultWeights(30);
	t.is(weights.length, 30);
	t.is(weights[0], 1 / 30);
	t.deepEqual(weights.slice(5), new Array<number>(25).fill(1));
	for (let i = 1; i < 5; i++) {
		t.true(weights[i] > weights[i - 1]);
	}
});

test('the same input gives the same suggestion; another trial number or seed gives another', (t) => {
	const observations = history(3, 20);
	const a = suggestTpe(input({observations, trialNumber: 20}));
	const b = suggestTpe(input({observations: structuredClone(observations), trialNumber: 20}));
	t.deepEqual(a, b);
	t.notDeepEqual(suggestTpe(input({observations, trialNumber: 21})), a);
	t.notDeepEqual(suggestTpe(input({observations, trialNumber: 20, seed: 8})), a);
	// A whole study replays identically.
	t.deepEqual(runStudy(11, 25, 5), runStudy(11, 25, 5));
});

test('start-up suggestions are random until startupTrials observations exist, and do not read the observations', (t) => {
	const few = history(5, 4);
	const other = history(6, 4);
	t.deepEqual(suggestTpe(input({observations: few, startupTrials: 5, trialNumber: 4})), suggestTpe(input({observations: other, startupTrials: 5, trialNumber: 4})));
	// Once past start-up the history matters.
	t.notDeepEqual(suggestTpe(input({observations: few, startupTrials: 4, trialNumber: 4})), suggestTpe(input({observations: other, startupTrials: 4, trialNumber: 4})));
});

test('every suggestion lies in the space with the right types, random and TPE alike, maximising and minimising', (t) => {
	for (const direction of ['maximize', 'minimize'] as const) {
		for (const observation of runStudy(2, 40, 8, direction)) {
			assertInSpace(t, observation.params);
		}
	}
});

test('listed values come back as copies, matched by canonical JSON', (t) => {
	const values = [{a: 1, b: [1, 2]}, {a: 2, b: [3]}];
	const parameters: Record<string, ParameterSpec> = {x: {kind: 'values', values}};
	// Observations written with another key order still count for the same value.
	const observations = Array.from({length: 12}, (_, i) => ({params: {x: i % 2 === 0 ? {b: [1, 2], a: 1} : {b: [3], a: 2}}, value: i % 2 === 0 ? 1 : 0}));
	const suggestion = suggestTpe(input({parameters, observations, startupTrials: 0, trialNumber: 12}));
	t.deepEqual(suggestion.x, values[0]);
	t.not(suggestion.x, values[0]);
});

test('TPE concentrates on the optimum: mean regret over 20 seeds x 40 trials is well below random search', (t) => {
	// Over 15 other blocks of 20 seeds the ratio of mean regrets ranged 0.41..0.69 and TPE won 14..19 seeds.
	const seeds = Array.from({length: 20}, (_, i) => 100 + i);
	const regret = (startup: number) => seeds.map((seed) => -Math.max(...runStudy(seed, 40, startup).map((o) => o.value)));
	const tpe = regret(10);
	const random = regret(40);
	const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
	t.log(`mean regret: TPE ${mean(tpe).toFixed(3)}, random ${mean(random).toFixed(3)}`);
	t.true(mean(tpe) < 0.8 * mean(random), `TPE ${mean(tpe)} vs random ${mean(random)}`);
	// Not carried by a few lucky seeds: TPE wins on most of them.
	const wins = tpe.filter((r, i) => r < random[i]).length;
	t.true(wins >= 13, `TPE better on ${wins} of 20 seeds`);
});

test('minimize ranks the other way: TPE minimising -f finds what maximising f finds', (t) => {
	const seeds = [1, 2, 3, 4, 5];
	const best = (direction: 'maximize' | 'minimize') =>
		seeds.map((seed) => {
			const values = runStudy(seed, 30, 10, direction).map((o) => (direction === 'maximize' ? o.value : -o.value));
			return Math.max(...values);
		});
	t.deepEqual(best('minimize'), best('maximize'));
});

test('NaN objectives rank worst: they never form the good group', (t) => {
	const parameters: Record<string, ParameterSpec> = {x: {kind: 'values', values: ['a', 'b', 'c']}};
	// 'a' diverged every time; 'b' scored low but finite, so it is the good group.
	const observations: TpeObservation[] = [
		...Array.from({length: 9}, () => ({params: {x: 'a'}, value: Number.NaN})),
		{params: {x: 'b'}, value: -5},
	];
	for (const direction of ['maximize', 'minimize'] as const) {
		t.is(suggestTpe(input({parameters, observations, direction, startupTrials: 0, trialNumber: 10})).x, 'b');
	}
});

test('constant liar: with the first suggestion pending, the same trial number gets a different suggestion', (t) => {
	let differing = 0;
	for (let seed = 0; seed < 10; seed++) {
		const observations = history(seed, 15);
		const first = suggestTpe(input({observations, seed, trialNumber: 15}));
		const again = suggestTpe(input({observations, seed, trialNumber: 15}));
		t.deepEqual(again, first);
		const second = suggestTpe(input({observations, seed, trialNumber: 15, pending: [first]}));
		for (const name of ['learningRate', 'dropout']) {
			if (second[name] !== first[name]) {
				differing++;
			}
		}
		t.notDeepEqual(second, first);
	}
	// The continuous parameters move in most cases, not only the odd discrete one.
	t.true(differing >= 10, `${differing} of 20 continuous values moved`);
});

test('constant liar: parallel workers on a two-value space spread instead of piling onto the favourite', (t) => {
	const parameters: Record<string, ParameterSpec> = {x: {kind: 'values', values: ['good', 'bad']}};
	const observations: TpeObservation[] = [
		{params: {x: 'good'}, value: 1},
		{params: {x: 'bad'}, value: 0},
	];
	const alone = suggestTpe(input({parameters, observations, startupTrials: 0, trialNumber: 2}));
	t.is(alone.x, 'good');
	// Each running 'good' trial adds to g('good'); with enough of them the ratio l/g favours the other value.
	const pending = Array.from({length: 6}, () => ({x: 'good'}));
	t.is(suggestTpe(input({parameters, observations, pending, startupTrials: 0, trialNumber: 2})).x, 'bad');
});

test('observations without a parameter or with a value outside the space are ignored for that parameter', (t) => {
	const parameters: Record<string, ParameterSpec> = {lr: {kind: 'log-uniform', min: 1e-4, max: 1e-2}, x: {kind: 'values', values: [1, 2]}};
	const observations: TpeObservation[] = [
		{params: {x: 1}, value: 1},
		{params: {lr: 5, x: 3}, value: 2},
		{params: {lr: 1e-3, x: 2}, value: 0},
	];
	const suggestion = suggestTpe(input({parameters, observations, startupTrials: 0, trialNumber: 3}));
	t.true((suggestion.lr as number) >= 1e-4 && (suggestion.lr as number) <= 1e-2);
	t.true(suggestion.x === 1 || suggestion.x === 2);
});

test('a bad candidates count is a programming error', (t) => {
	t.throws(() => suggestTpe(input({candidates: 0})), {instanceOf: RangeError});
});

function assertClose(t: import('ava').ExecutionContext, actual: number[], expected: number[], tolerance: number, what: string): void {
	t.is(actual.length, expected.length, `${what}: length`);
	for (const [i, value] of expected.entries()) {
		t.true(Math.abs(actual[i] - value) <= tolerance, `${what}[${i}]: ${actual[i]}, Optuna ${value}`);
	}
}

for (const [name, reference_] of Object.entries(reference.cases).filter(([, c]) => c.kind !== 'values')) {
	test(`numeric Parzen estimator matches Optuna's: ${name} (${reference_.kind}, ${reference_.observations.length} observations)`, (t) => {
		const spec = {kind: reference_.kind, min: reference_.min!, max: reference_.max!} as Exclude<ParameterSpec, {kind: 'values'}>;
		const model = fitNumeric(spec, reference_.observations);
		// Kernel centres, bandwidths (magic clip, inward-looking end kernels, the prior's sigma) and weights (the ramp) exactly.
		assertClose(t, model.estimator.mus, reference_.mus!, 1e-12, 'mus');
		assertClose(t, model.estimator.sigmas, reference_.sigmas!, 1e-12, 'sigmas');
		assertClose(t, model.estimator.weights, reference_.weights, 1e-12, 'weights');
		// Log densities (bin masses for integers), to rounding.
		assertClose(t, (reference_.points as number[]).map((point) => numericLogPdf(model, point)), reference_.logPdf, 1e-9, 'log pdf');
		// Optuna 3.1 as shipped differs wherever a kernel's sigma is not 1 (it omits log sigma) and for log-scaled integers.
		if (reference_.kind !== 'int-uniform') {
			t.true(reference_.logPdf.some((value, i) => Math.abs(value - reference_.logPdf31[i]) > 0.1));
		}
	});
}

test('categorical Parzen estimator matches Optuna\'s probabilities', (t) => {
	const reference_ = reference.cases.categorical;
	const probabilities = categoricalProbabilities(reference_.choices!, reference_.observations);
	assertClose(t, probabilities, reference_.probabilities!, 1e-12, 'probabilities');
	assertClose(t, probabilities.map((p) => Math.log(p)), reference_.logPdf, 1e-12, 'log pdf');
});

test('gamma counts finished trials only: pending trials neither enlarge the good group nor enter it', (t) => {
	const parameters: Record<string, ParameterSpec> = {x: {kind: 'values', values: ['a', 'b', 'c']}};
	// 10 observations: gamma = 1, so only the best ('a') is good. Had the 10 pending trials counted, gamma(20) = 2
	// would have put the second best ('b') into the good group too, and 'b' could win.
	const observations: TpeObservation[] = [
		{params: {x: 'a'}, value: 10},
		{params: {x: 'b'}, value: 9},
		...Array.from({length: 8}, () => ({params: {x: 'c'}, value: 0})),
	];
	const pending = Array.from({length: 10}, () => ({x: 'c'}));
	const gammaArguments: number[] = [];
	const gamma = (n: number): number => {
		gammaArguments.push(n);
		return defaultGamma(n);
	};
	for (let trialNumber = 10; trialNumber < 30; trialNumber++) {
		t.is(suggestTpe(input({parameters, observations, pending, startupTrials: 0, trialNumber, gamma})).x, 'a');
	}
	t.deepEqual([...new Set(gammaArguments)], [10]);
});

test('trials stopped early rank after every finished trial, those that got further first (Optuna\'s pruned-trial order)', (t) => {
	const parameters: Record<string, ParameterSpec> = {x: {kind: 'values', values: ['finished', 'deep', 'shallow', 'other']}};
	const ask = (observations: TpeObservation[], gamma: number) =>
		suggestTpe(input({parameters, observations, startupTrials: 0, trialNumber: 1, gamma: () => gamma})).x;
	const observations: TpeObservation[] = [
		// The pruned trials scored higher at their last epoch than the finished one did at its best: they still rank after it.
		{params: {x: 'shallow'}, value: 0.95, stoppedAt: 2},
		{params: {x: 'deep'}, value: 0.9, stoppedAt: 6},
		{params: {x: 'finished'}, value: 0.5},
		...Array.from({length: 5}, () => ({params: {x: 'other'}, value: 0.1})),
	];
	t.is(ask(observations, 1), 'finished');
	// Among pruned trials alone, the one that got further wins over a shallower one with a higher value.
	const pruned: TpeObservation[] = [
		{params: {x: 'shallow'}, value: 0.95, stoppedAt: 2},
		{params: {x: 'deep'}, value: 0.6, stoppedAt: 6},
		...Array.from({length: 5}, () => ({params: {x: 'other'}, value: 0.1, stoppedAt: 6})),
	];
	t.is(ask(pruned, 1), 'deep');
	// Without the steps the ranking is by value alone.
	t.is(ask(pruned.map(({params, value}) => ({params, value})), 1), 'shallow');
});

test('multivariate: the joint estimator matches Optuna\'s (Scott-like bandwidth after the magic clip, product kernels, categorical rows)', (t) => {
	const parameters: Record<string, ParameterSpec> = {c: {kind: 'values', values: ['a', 'b', 'c']}, n: {kind: 'int-uniform', min: 1, max: 10}, x: {kind: 'uniform', min: 0, max: 10}};
	const model = fitJoint(parameters, ['c', 'n', 'x'], reference.joint.observations, 'scott');
	for (const part of model.parts) {
		if (part.kind === 'numeric') {
			assertClose(t, part.model.estimator.sigmas, reference.joint.sigmas[part.name], 1e-12, `sigmas of ${part.name}`);
		}
	}
	assertClose(t, reference.joint.points.map((point) => jointLogPdfAt(model, point)), reference.joint.logPdf, 1e-9, 'joint log pdf');
});

test('multivariate, sweeplab\'s bandwidths: each kernel keeps, per parameter, the bandwidth the independent estimator gives it', (t) => {
	const observations = Array.from({length: 9}, (_, i) => ({learningRate: 1e-4 * 10 ** (((i * 7) % 4) / 2), hidden: [[16], [32], [64]][i % 3], dropout: ((i * 5) % 9) / 20, batchSize: 16 + 37 * i, epochs: 1 + ((i * 3) % 20)}));
	const names = Object.keys(SPACE).sort();
	const model = fitJoint(SPACE, names, observations, 'neighbour');
	let numeric = 0;
	for (const part of model.parts) {
		if (part.kind === 'numeric') {
			numeric++;
			const independent = fitNumeric(part.model.spec, observations.map((params) => params[part.name as keyof typeof params]));
			assertClose(t, part.model.estimator.sigmas, independent.estimator.sigmas, 1e-15, `sigmas of ${part.name}`);
			// Not Optuna's single bandwidth: the observations' differ.
			t.true(new Set(part.model.estimator.sigmas.slice(0, -1)).size > 1, `${part.name} has one bandwidth for every kernel`);
		}
	}
	t.is(numeric, 4);
});

test('default TPE on a mixed space: the listed value is not locked onto the first good trials\' (numbers and listed values are separate joint blocks)', (t) => {
	// Measured on these seeds: with `hidden` in one joint block with the numbers, 14 of the 40 best configs had a wrong
	// hidden; in a block of its own but with g(x) weighted by coverage as the numbers' is, 11; as it is, 0.
	const seeds = Array.from({length: 40}, (_, i) => 300 + i);
	const wrong = seeds.filter((seed) => {
		const observations = runStudy(seed, 60, 10);
		const best = observations.reduce((a, b) => (b.value > a.value ? b : a));
		return JSON.stringify(best.params.hidden) !== '[128]';
	});
	t.log(`seeds whose best config has a wrong hidden: ${wrong.length} of ${seeds.length}`);
	t.true(wrong.length <= 6, `${wrong.length} of ${seeds.length} seeds ended on a wrong hidden`);
});

test('multivariate TPE: deterministic, in the space, and well below random search on the test objective', (t) => {
	const study = (seed: number, startupTrials: number, multivariate: boolean): TpeObservation[] => {
		const observations: TpeObservation[] = [];
		for (let trialNumber = 0; trialNumber < 40; trialNumber++) {
			const params = suggestTpe(input({observations, seed, trialNumber, startupTrials, multivariate}));
			observations.push({params, value: objective(params)});
		}
		return observations;
	};
	t.deepEqual(study(3, 10, true), study(3, 10, true));
	for (const observation of study(4, 10, true)) {
		assertInSpace(t, observation.params);
	}
	const seeds = Array.from({length: 20}, (_, i) => 200 + i);
	const regret = (startup: number) => seeds.map((seed) => -Math.max(...study(seed, startup, true).map((o) => o.value)));
	const joint = regret(10);
	const random = regret(40);
	const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
	t.log(`mean regret: multivariate TPE ${mean(joint).toFixed(3)}, random ${mean(random).toFixed(3)}`);
	t.true(mean(joint) < 0.8 * mean(random), `multivariate TPE ${mean(joint)} vs random ${mean(random)}`);
});

test('coverage: g(x) weighs each bad kernel by default weight times bandwidth, the prior holding BAD_PRIOR_SHARE', (t) => {
	const spec: ParameterSpec = {kind: 'uniform', min: 0, max: 10};
	// A crowd of five bad trials near 2 and one alone at 8: Optuna's g gives the crowd 5/7 of the mass; coverage gives
	// it the share of the space its kernels span.
	const model = fitNumeric(spec, [1.9, 2, 2.05, 2.1, 2.2, 8]);
	const covered = coverage(model);
	const {weights, sigmas} = model.estimator;
	const raw = weights.slice(0, -1).map((w, i) => w * sigmas[i]);
	const total = raw.reduce((sum, x) => sum + x, 0);
	for (const [i, w] of covered.estimator.weights.slice(0, -1).entries()) {
		t.true(Math.abs(w - (raw[i] / total) * (1 - BAD_PRIOR_SHARE)) < 1e-15, `kernel ${i}`);
	}
	t.is(covered.estimator.weights.at(-1), BAD_PRIOR_SHARE);
	t.true(Math.abs(covered.estimator.weights.reduce((sum, w) => sum + w, 0) - 1) < 1e-12);
	t.deepEqual(covered.estimator.logWeights, covered.estimator.weights.map((w) => Math.log(w)));
	// The lone trial's kernel is wider than any in the crowd, so it now outweighs each of them.
	const lone = covered.estimator.weights[5];
	t.true(covered.estimator.weights.slice(0, 5).every((w) => w < lone));
	// Kernels, bandwidths and the estimator it came from are unchanged; so is a bad group with no trials (the prior alone).
	t.deepEqual(covered.estimator.sigmas, sigmas);
	t.deepEqual(model.estimator.weights, weights);
	const empty = fitNumeric(spec, []);
	t.deepEqual(coverage(empty).estimator.weights, empty.estimator.weights);
	// Still a density: it integrates to 1 over the range.
	let integral = 0;
	for (let x = 0.0005; x < 10; x += 0.001) {
		integral += Math.exp(numericLogPdf(covered, x)) * 0.001;
	}
	t.true(Math.abs(integral - 1) < 1e-3, `integral ${integral}`);
});
