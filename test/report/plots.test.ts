/**
 * The shared chart specs: what makes them readable is checked on the specs' data and encodings (the dashboard
 * and the reports draw these), and each renders to SVG.
 */
import test from 'ava';
import {leaderboard} from '../../src/report/leaderboard.js';
import {CHANCE_LEVEL, renderSvg} from '../../src/report/chart-common.js';
import {parallelCoordinatesSpec} from '../../src/report/parameter-plots.js';
import {learningCurvesSpec, tradeoffSpec, validationCurvesSpec} from '../../src/report/plots.js';
import {tradeoff} from '../../src/report/ranking.js';
import type {StoredStep, TrialRecord} from '../../src/store/store.js';
import {describeConfig} from '../../src/sweep/describe.js';
import {DEFAULT_METRIC, DEFAULT_TRIAL_CONFIG, type SweepDefinition, type TrialConfig, type TrialParams} from '../../src/types.js';

const metric = DEFAULT_METRIC;

function trial(id: number, config: TrialParams, trainSeconds: number): TrialRecord {
	return {
		id, sweepId: 1, ordinal: id, config, configHash: `cfg${id}`, repeat: 0, seed: id, state: 'completed', attempts: 1, owner: null, heartbeatAt: null,
		backend: 'wasm', trainingPath: 'simd', host: 'h', cores: 2, paramCount: 100, startedAt: null, finishedAt: null, epochsRun: 3,
		testLoss: 0.5, testAccuracy: 0.8, finalMetrics: {}, trainSeconds, error: null, stopReason: null, logPath: null,
	};
}

/** One completed trial per learning rate; `accuracy(lr)` is its last epoch's validation accuracy. */
function sweepOf(rates: number[], accuracy: (rate: number) => number) {
	const trials = rates.map((learningRate, index) => trial(index + 1, {...DEFAULT_TRIAL_CONFIG, learningRate}, 10 + index));
	const epochs: StoredStep[] = trials.flatMap(record => [1, 2, 3].map(step => {
		const valAccuracy = accuracy(record.config.learningRate as number) - (3 - step) / 100;
		return {id: record.id * 10 + step, trialId: record.id, step, metrics: {loss: 1 / step, accuracy: valAccuracy + 0.01, val_loss: 1 / step, val_accuracy: valAccuracy}, seconds: 1};
	}));
	const label = (config: TrialParams) => describeConfig(config, ['learningRate']);
	return {trials, epochs, rows: tradeoff(leaderboard(trials, epochs, metric), {metric}).rows, label};
}

const spec = (value: unknown) => value as any;
// Best near 1e-3, and 0.1 learns nothing.
const RATES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 2e-5, 5e-5, 2e-4];
const accuracyOf = (rate: number) => (rate === 0.1 ? 0.1 : 0.89 - 0.02 * Math.abs(Math.log10(rate) + 3));

test('accuracy against time: the axis covers the configs that learned something; a chance-level one is drawn apart on its edge', t => {
	const {rows, label} = sweepOf(RATES, accuracyOf);
	const chart = spec(tradeoffSpec(rows, label, metric));
	const points = chart.data.values as Array<{config: string; accuracy: number; trueAccuracy: number; group: string}>;
	const domain = chart.layer[3].encoding.y.scale.domain as [number, number];
	const chance = points.find(point => point.config === 'learningRate=0.1')!;
	t.true(domain[0] > CHANCE_LEVEL * 100, `axis starts at ${domain[0]}`);
	t.true(domain[0] < Math.min(...points.filter(point => point !== chance).map(point => point.trueAccuracy)));
	t.regex(chance.group, /chance level/);
	t.is(chance.accuracy, domain[0]);
	t.is(chance.trueAccuracy, 10);
	t.true(points.some(point => point.group === 'Pareto front'));
	t.regex(chart.title.subtitle.join(' '), /1 config at chance level/);
});

test('validation curves: the top 10 configs in colour over the rest in grey, in the parameter\'s order, on an ordered colour scale', t => {
	const {trials, epochs, rows, label} = sweepOf(RATES, accuracyOf);
	const chart = spec(validationCurvesSpec(trials, epochs, rows, label, metric));
	const values = chart.data.values as Array<{config: string; colour: boolean}>;
	const coloured = [...new Set(values.filter(value => value.colour).map(value => value.config))];
	t.is(coloured.length, 10);
	t.false(coloured.includes('learningRate=0.1'), 'the worst configs are grey');
	t.is(new Set(values.filter(value => !value.colour).map(value => value.config)).size, 2);
	const colour = chart.layer[1].encoding.color;
	t.is(colour.type, 'ordinal');
	t.is(colour.scale.scheme.name, 'viridis');
	const rates = (colour.sort as string[]).map(text => Number(text.split('=')[1]));
	t.deepEqual(rates, [...rates].sort((a, b) => a - b), 'legend in the order of the learning rate');
	t.regex(chart.title.subtitle.join(' '), /top 10 configs in colour, the other 2 in grey/);

	const activations = sweepOf([1e-3], () => 0.8);
	const categorical = [...activations.trials, ...['tanh', 'elu'].map((activation, index) => trial(10 + index, {...DEFAULT_TRIAL_CONFIG, activation: activation as TrialConfig['activation']}, 5))];
	const categoricalEpochs: StoredStep[] = [...activations.epochs, ...categorical.slice(1).map(record => ({id: 1000 + record.id, trialId: record.id, step: 1, metrics: {loss: 1, accuracy: 0.5, val_loss: 1, val_accuracy: 0.7}, seconds: 1}))];
	const activationLabel = (config: TrialParams) => describeConfig(config, ['activation']);
	const byActivation = spec(validationCurvesSpec(categorical, categoricalEpochs, tradeoff(leaderboard(categorical, categoricalEpochs, metric), {metric}).rows, activationLabel, metric));
	t.is(byActivation.layer[1].encoding.color.type, 'nominal', 'an unordered parameter keeps categorical colours');
});

test('learning curves: small multiples for the top 6 only, in the parameter\'s order, accuracy in percent on a fitted axis', t => {
	const {trials, epochs, rows, label} = sweepOf(RATES, accuracyOf);
	const chart = spec(learningCurvesSpec(trials, epochs, rows, label));
	const panels = chart.vconcat[0].facet.sort as string[];
	t.is(panels.length, 6);
	const rates = panels.map(text => Number(text.split('=')[1]));
	t.deepEqual(rates, [...rates].sort((a, b) => a - b));
	t.deepEqual([...panels].sort(), rows.slice(0, 6).map(row => label(row.config)).sort(), 'the six best configs');
	const domain = chart.vconcat[0].spec.layer[0].encoding.y.scale.domain as [number, number];
	t.true(domain[0] > 75 && domain[1] <= 100, `accuracy axis ${domain.join('-')}`);
	t.regex(chart.title.subtitle[0], /top 6 of 12 configs/);
});

test('parallel coordinates: a log-distributed parameter gets a log axis', t => {
	const {rows, label} = sweepOf([1e-4, 1e-3, 1e-2], () => 0.8);
	const definition: SweepDefinition = {
		name: 'rates', method: 'random', seed: 1, repeats: 1, trials: 3, dataset: {name: 'fashion-mnist-mini', validation: 0.1},
		base: DEFAULT_TRIAL_CONFIG, parameters: {learningRate: {kind: 'log-uniform', min: 1e-4, max: 1e-2}},
	};
	const chart = spec(parallelCoordinatesSpec(rows, definition, label, metric));
	const lines = (chart.data.values as Array<{kind: string; axis: string; config: string; position: number}>).filter(value => value.kind === 'line' && value.axis === 'learningRate (log)');
	const position = (config: string) => lines.find(line => line.config === config)!.position;
	t.is(position('learningRate=1e-4'), 0);
	t.is(position('learningRate=0.001'), 0.5);
	t.is(position('learningRate=0.01'), 1);
});

test('parallel coordinates: a config a conditional parameter did not apply to meets its axis at n/a, not at the base value', async t => {
	const configs: TrialParams[] = [
		{...DEFAULT_TRIAL_CONFIG, model: 'mlp'},
		{...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [8, 16]},
		{...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [32, 64]},
	];
	const trials = configs.map((config, index) => trial(index + 1, config, 10));
	const epochs: StoredStep[] = trials.map(record => ({id: record.id, trialId: record.id, step: 1, metrics: {val_loss: 1, val_accuracy: 0.7 + record.id / 100}, seconds: 1}));
	const parameters: SweepDefinition['parameters'] = {model: {kind: 'values', values: ['mlp', 'cnn']}, conv: {kind: 'values', values: [[8, 16], [32, 64]], when: {model: ['cnn']}}};
	const definition: SweepDefinition = {name: 'c', method: 'grid', seed: 1, repeats: 1, dataset: {name: 'fashion-mnist-mini', validation: 0.1}, base: DEFAULT_TRIAL_CONFIG, parameters};
	const label = (config: TrialParams) => describeConfig(config, ['conv', 'model'], parameters);
	const rows = tradeoff(leaderboard(trials, epochs, metric), {metric}).rows;
	const chart = spec(parallelCoordinatesSpec(rows, definition, label, metric));
	const values = chart.data.values as Array<{kind: string; axis: string; config: string; position: number; text?: string}>;
	const at = (config: string) => values.find(value => value.kind === 'line' && value.axis === 'conv' && value.config === config)!.position;
	t.is(at('model=mlp'), -0.12);
	t.deepEqual([at('conv=[8,16] model=cnn'), at('conv=[32,64] model=cnn')], [0, 1]);
	t.deepEqual(values.filter(value => value.kind === 'tick' && value.axis === 'conv').map(value => value.text), ['[8,16]', '[32,64]', 'n/a']);
	t.true(chart.layer[1].encoding.y.scale.domain[0] < -0.12, 'the n/a row is inside the chart');
	t.regex(await renderSvg(chart), /n\/a/);
});

test('every chart renders to SVG', async t => {
	const {trials, epochs, rows, label} = sweepOf(RATES, accuracyOf);
	for (const chart of [tradeoffSpec(rows, label, metric), validationCurvesSpec(trials, epochs, rows, label, metric), learningCurvesSpec(trials, epochs, rows, label)]) {
		t.regex(await renderSvg(chart), /^<svg[\s\S]*<\/svg>$/);
	}
});
