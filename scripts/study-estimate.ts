/**
 * The wall time of sweeps before they run, from measured costs: for every network and batch size the sweep files
 * train, CPU milliseconds per training step and per validated image on the SIMD path (the path every trial of the
 * study takes), times the steps and images of each trial's epochs; then the sum over trials divided among the
 * workers. Process CPU time, not wall time: it stays near what one idle core takes while other sessions share the
 * machine, so the estimate is of a quiet machine. Trials are claimed in order by the workers, each taking the next
 * trial when it is free (three equal trials on two workers take two trials' time). Grid and random sweeps are expanded; a tpe sweep's `trials` are
 * costed at the mean over its choices of network and batch size, all its epochs (an upper bound) and, with an
 * ASHA pruner, the epochs ASHA lets the average trial run (a 1/reductionFactor share past each rung).
 *
 *   npm run build && node dist/scripts/study-estimate.js [--workers 2] [--steps 8] sweeps/a.yaml sweeps/b.yaml ...
 */
import {parseArgs} from 'node:util';
import {loadDataset} from '../src/data/load.js';
import {loadBackend} from '../src/train/backend.js';
import {SimdNet} from '../src/train/paths/simd.js';
import {expandSweep} from '../src/sweep/expand.js';
import {readSweepFile} from '../src/sweep/read.js';
import {builtinConfig, type SweepDefinition, type TrialConfig} from '../src/types.js';

const {values, positionals} = parseArgs({allowPositionals: true, options: {workers: {type: 'string', default: '2'}, steps: {type: 'string', default: '8'}}});
const workers = Number(values.workers);
const steps = Number(values.steps);
const {tf} = await loadBackend('wasm');
const {train} = await loadDataset('fashion-mnist-mini');
const shape = {imageShape: [28, 28, 1] as [number, number, number], numClasses: 10};
const EVAL_IMAGES = 1000;
const evalSet = {x: train.x.subarray(0, EVAL_IMAGES * 784), y: train.y.subarray(0, EVAL_IMAGES), n: EVAL_IMAGES};

/** What a step costs depends on these keys only (the rest changes numbers, not work). */
const COST_KEYS = ['model', 'hidden', 'conv', 'kernelSize', 'globalPool', 'batchNorm', 'batchSize', 'dropout', 'weightDecay', 'labelSmoothing', 'loss', 'optimizer'] as const;
const measured = new Map<string, {stepMs: number; imageMs: number}>();

/** CPU ms per training step at the config's batch size and per validated image, median of 3 rounds; cached per cost key. */
function costOf(config: TrialConfig): {stepMs: number; imageMs: number} {
	const key = JSON.stringify(COST_KEYS.map(name => config[name]));
	const known = measured.get(key);
	if (known) {
		return known;
	}

	const batch = config.batchSize;
	const x = train.x.slice(0, batch * 784);
	const y = Int32Array.from(train.y.subarray(0, batch));
	const net = new SimdNet(tf, config, shape, 1);
	const cpu = (work: () => void): number => {
		const start = process.cpuUsage();
		work();
		const used = process.cpuUsage(start);
		return (used.user + used.system) / 1000;
	};

	// Enough steps for 100 ms of CPU a round (a small MLP's step is half a millisecond, near the clock's grain), at least --steps.
	const first = cpu(() => net.trainBatch(x, y, batch));
	const count = Math.min(2000, Math.max(steps, Math.ceil(100 / Math.max(first, 0.01))));
	const rounds = [0, 1, 2].map(() => ({
		stepMs: cpu(() => {
			for (let s = 0; s < count; s++) {
				net.trainBatch(x, y, batch);
			}
		}) / count,
		imageMs: cpu(() => net.evaluate(evalSet)) / EVAL_IMAGES,
	}));
	net.dispose();
	const median = (list: number[]) => list.sort((a, b) => a - b)[1];
	const cost = {stepMs: median(rounds.map(round => round.stepMs)), imageMs: median(rounds.map(round => round.imageMs))};
	measured.set(key, cost);
	return cost;
}

/** Training, validation and test images of the sweep's dataset split. */
function splitSizes(definition: SweepDefinition): {train: number; validation: number; test: number} {
	const dataset = definition.dataset!;
	const total = dataset.trainLimit ?? 60_000;
	const validation = dataset.validation === 'test' ? 0 : Math.round(total * dataset.validation);
	return {train: total - validation, validation: dataset.validation === 'test' ? (dataset.testLimit ?? 10_000) : validation, test: dataset.testLimit ?? 10_000};
}

/** CPU seconds of one epoch of `config` and of its final test pass. */
function epochSeconds(config: TrialConfig, sizes: ReturnType<typeof splitSizes>): {epoch: number; test: number} {
	const {stepMs, imageMs} = costOf(config);
	return {epoch: ((Math.ceil(sizes.train / config.batchSize) * stepMs) + (sizes.validation * imageMs)) / 1000, test: sizes.test * imageMs / 1000};
}

/** The keys that set a network's shape and batch: what a tpe sweep's mean epoch cost is taken over (the others change a step's cost by a few percent). */
const SHAPE_KEYS: readonly string[] = ['model', 'hidden', 'conv', 'kernelSize', 'globalPool', 'batchNorm', 'batchSize'];

/** Every combination of the values listed for the shape keys a tpe sweep searches (ranges at their ends). */
function searchedConfigs(definition: SweepDefinition): TrialConfig[] {
	let configs = [builtinConfig(definition.base)];
	for (const [key, spec] of Object.entries(definition.parameters)) {
		if (!SHAPE_KEYS.includes(key)) {
			continue;
		}

		const options: unknown[] = spec.kind === 'values' ? spec.values : [spec.min, spec.max];
		configs = configs.flatMap(config => options.map(value => ({...config, [key]: value}) as TrialConfig));
	}

	return configs;
}

/** Epochs the average trial runs under ASHA: all up to the first rung, then a 1/reductionFactor share of each later stretch. */
function ashaEpochs(definition: SweepDefinition, epochs: number): number {
	const pruner = definition.pruner;
	if (pruner?.kind !== 'asha') {
		return epochs;
	}

	let total = 0;
	let share = 1;
	let from = 0;
	for (let rung = pruner.minEpochs; from < epochs; rung *= pruner.reductionFactor) {
		const to = Math.min(rung, epochs);
		total += share * (to - from);
		from = to;
		share /= pruner.reductionFactor;
	}

	return total;
}

/** Wall seconds of trials claimed in order by `count` workers, each taking the next trial when it is free. */
function scheduled(durations: number[], count: number): number {
	const free = Array.from({length: count}, () => 0);
	for (const seconds of durations) {
		const next = free.indexOf(Math.min(...free));
		free[next] += seconds;
	}

	return Math.max(...free);
}

let studyCpu = 0;
let studyWall = 0;
console.log(`CPU per step and per validated image measured on the simd path (at least ${steps} steps and 100 ms x 3 rounds, median); wall: the trials claimed in order by ${workers} workers`);
for (const file of positionals) {
	const {definition} = await readSweepFile(file);
	const sizes = splitSizes(definition);
	let trialSeconds: number[];
	let note = '';
	if (definition.method === 'tpe') {
		const configs = searchedConfigs(definition);
		const epochs = builtinConfig(definition.base).epochs;
		const mean = configs.map(config => epochSeconds(config, sizes)).reduce((sum, cost) => sum + cost.epoch, 0) / configs.length;
		const pruned = ashaEpochs(definition, epochs);
		trialSeconds = Array.from({length: definition.trials ?? 0}, () => (mean * pruned));
		note = ` (tpe: ${definition.trials} trials at ${mean.toFixed(1)} CPU s an epoch, the mean over ${configs.length} network and batch-size choices; ${pruned.toFixed(1)} of ${epochs} epochs each under ASHA, ${(mean * epochs * (definition.trials ?? 0) / workers / 60).toFixed(1)} min if nothing is pruned)`;
	} else {
		trialSeconds = expandSweep(definition).map(spec => {
			const config = builtinConfig(spec.config);
			const cost = epochSeconds(config, sizes);
			return (cost.epoch * config.epochs) + cost.test;
		});
	}

	const cpu = trialSeconds.reduce((sum, seconds) => sum + seconds, 0);
	const wall = scheduled(trialSeconds, workers);
	studyCpu += cpu;
	studyWall += wall;
	console.log(`${definition.name.padEnd(16)} ${String(trialSeconds.length).padStart(3)} trials  ${(cpu / 60).toFixed(1).padStart(6)} CPU min  ~${(wall / 60).toFixed(1).padStart(5)} min wall${note}`);
}

for (const [key, {stepMs, imageMs}] of measured) {
	const [model, hidden, conv, kernelSize, globalPool, batchNorm, batchSize] = JSON.parse(key) as unknown[];
	const shapeText = model === 'cnn' ? `cnn ${kernelSize}x${kernelSize} ${JSON.stringify(conv)}${globalPool ? ' pooled' : ''} + ${JSON.stringify(hidden)}` : `mlp ${JSON.stringify(hidden)}`;
	console.log(`  ${shapeText}${batchNorm ? ' batch norm' : ''}, batch ${batchSize}: ${stepMs.toFixed(2)} ms CPU a step, ${(imageMs * 1000).toFixed(1)} us a validated image; ${((Math.ceil(54_000 / Number(batchSize)) * stepMs + 6000 * imageMs) / 1000).toFixed(1)} CPU s an epoch of 54,000 + 6,000 images`);
}

console.log(`total            ${(studyCpu / 60).toFixed(1).padStart(10)} CPU min  ~${(studyWall / 60).toFixed(1).padStart(5)} min wall with ${workers} workers (sweeps one after another)`);
