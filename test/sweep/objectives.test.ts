import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {readSweepFile, parseSweep} from '../../src/sweep/read.js';
import {sweepMetric, sweepObjectives} from '../../src/types.js';

const good = fileURLToPath(new URL('../../../test/fixtures/sweeps/good/', import.meta.url));

test('objectives load as given; the first reported metric among them is the sweep\'s metric too', async t => {
	const {definition} = await readSweepFile(join(good, 'multi-objective.yaml'));
	t.deepEqual(definition.objectives, [{name: 'val_accuracy', goal: 'maximize'}, {name: 'train_seconds', goal: 'minimize'}]);
	t.deepEqual(definition.metric, {name: 'val_accuracy', goal: 'maximize'});
	t.deepEqual(sweepObjectives(definition), definition.objectives);
	t.deepEqual(definition.pruner, {kind: 'pareto', warmupEpochs: 1, minTrials: 1});
});

test('a cost first: the metric is the first objective the trials report', t => {
	const definition = parseSweep(`
name: costs-first
method: nsga2
trials: 10
startupTrials: 4
dataset: {name: fashion-mnist-mini}
objectives:
  - {name: params, goal: minimize}
  - {name: val_loss, goal: minimize}
  - {name: seconds_per_epoch, goal: minimize}
pruner: {kind: asha, scalarize: {weights: [0.2, 0.6, 0.2]}}
parameters:
  hidden: {choice: [[16], [64]]}
`, 'x.yaml');
	t.deepEqual(definition.metric, {name: 'val_loss', goal: 'minimize'});
	t.deepEqual(sweepMetric(definition), {name: 'val_loss', goal: 'minimize'});
	t.deepEqual(definition.pruner, {kind: 'asha', minEpochs: 1, maxEpochs: 10, reductionFactor: 3, scalarize: {weights: [0.2, 0.6, 0.2]}});
	t.is(definition.startupTrials, 4);
});

test('a program sweep with objectives needs no metric; its objectives may name any metric it reports', t => {
	const definition = parseSweep(`
name: program-mo
method: tpe
trials: 10
program: {command: [python3, train.py, "\${args}"]}
objectives:
  - {name: error, goal: minimize}
  - {name: train_seconds, goal: minimize}
parameters:
  lr: {distribution: log-uniform, min: 0.0001, max: 0.1}
`, 'x.yaml');
	t.deepEqual(definition.objectives?.map(objective => objective.name), ['error', 'train_seconds']);
	t.deepEqual(definition.metric, {name: 'error', goal: 'minimize'});
});

test('grid and random sweeps take objectives too (nothing is sampled; best shows the front)', t => {
	const definition = parseSweep(`
name: grid-mo
method: grid
dataset: {name: fashion-mnist-mini}
objectives: [{name: val_accuracy, goal: maximize}, {name: params, goal: minimize}]
parameters:
  hidden: [[16], [64]]
`, 'x.yaml');
	t.is(definition.method, 'grid');
	t.is(definition.objectives?.length, 2);
});
