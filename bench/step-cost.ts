/**
 * CPU milliseconds per training step (batch 32) on the SIMD path, for the networks the study and its question 7
 * train: the seed MLP, a wider MLP, the study's small CNN and the benchmark's 2-conv CNNs (5x5 and 3x3, 32-64
 * channels, Flatten or global average pooling), with every training feature on where it costs per step
 * (augmentation and standardisation happen in the epoch loop and are measured separately). Process CPU time, not
 * wall time: on a machine other sessions share it stays near what one idle core takes, where wall time does not.
 * Median of 3 rounds, the networks alternating; then the CPU seconds that makes for one epoch of 54,000 images.
 *
 *   npm run build && node dist/bench/step-cost.js [--steps 10]
 */
import {loadavg} from 'node:os';
import {parseArgs} from 'node:util';
import {loadDataset} from '../src/data/load.js';
import {fitStandardizer, standardizeRows} from '../src/data/standardize.js';
import {Augmenter} from '../src/train/augment.js';
import {loadBackend} from '../src/train/backend.js';
import {countParams} from '../src/train/model.js';
import {SimdNet} from '../src/train/paths/simd.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../src/types.js';
import {createRng} from '../src/util/random.js';
import {machineLine, median} from './common.js';

const NETWORKS: Array<[string, Partial<TrialConfig>]> = [
	['seed MLP 64-64', {}],
	['MLP 256-128, dropout 0.4', {hidden: [256, 128], dropout: 0.4}],
	['study CNN 3x3 8-16 + 64-64', {model: 'cnn', conv: [8, 16], kernelSize: 3}],
	['CNN 5x5 32-64, Flatten', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: []}],
	['CNN 5x5 32-64, global pooling', {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: [], globalPool: true}],
	['CNN 3x3 32-64, Flatten', {model: 'cnn', conv: [32, 64], kernelSize: 3, hidden: []}],
];
/** What the features add to a step itself: decay in the optimizer, smoothing in the loss. */
const FEATURES: Partial<TrialConfig> = {weightDecay: 1e-4, labelSmoothing: 0.1};
const EPOCH_IMAGES = 54_000;

const {values} = parseArgs({options: {steps: {type: 'string', default: '10'}}});
const steps = Number(values.steps);
const batch = 32;
const {tf} = await loadBackend('wasm');
const {train} = await loadDataset('fashion-mnist-mini');
const shape = {imageShape: [28, 28, 1] as [number, number, number], numClasses: 10};
const x = train.x.slice(0, batch * 784);
const y = Int32Array.from(train.y.subarray(0, batch));

function cpuMsPerStep(config: TrialConfig): number {
	const net = new SimdNet(tf, config, shape, 1);
	net.trainBatch(x, y, batch);
	const start = process.cpuUsage();
	for (let s = 0; s < steps; s++) {
		net.trainBatch(x, y, batch);
	}

	const used = process.cpuUsage(start);
	return (used.user + used.system) / 1000 / steps;
}

const rounds: number[][] = NETWORKS.map(() => []);
for (let round = 0; round < 3; round++) {
	for (const [k, [, overrides]] of NETWORKS.entries()) {
		rounds[k].push(cpuMsPerStep({...DEFAULT_TRIAL_CONFIG, batchSize: batch, ...overrides, ...FEATURES}));
	}
}

console.log(`${machineLine()}; load average ${loadavg()[0].toFixed(1)}; ${steps} steps x 3 rounds per network, batch ${batch}`);
const stepsPerEpoch = Math.ceil(EPOCH_IMAGES / batch);
for (const [k, [name, overrides]] of NETWORKS.entries()) {
	const ms = median(rounds[k]);
	const params = countParams({...DEFAULT_TRIAL_CONFIG, ...overrides}, shape);
	console.log(`${name.padEnd(32)} ${String(params).padStart(7)} params  ${ms.toFixed(2).padStart(7)} ms CPU/step  ${(ms * stepsPerEpoch / 1000).toFixed(1).padStart(6)} s CPU/epoch`);
}

// The loop's per-batch work for augment {translate: 2, flip: true} and per-pixel standardisation.
const standardizer = fitStandardizer('per-pixel', train)!;
const augmenter = new Augmenter({translate: 2, flip: true}, shape.imageShape);
const rng = createRng(1);
const buffer = new Float32Array(x.length);
const prepare = () => {
	buffer.set(x);
	augmenter.apply(buffer, batch, rng);
	standardizeRows(standardizer, buffer, batch, 784);
};

// Warmed up first, as it is after the first few batches of an epoch.
for (let s = 0; s < 300; s++) {
	prepare();
}

const start = process.cpuUsage();
for (let s = 0; s < 2000; s++) {
	prepare();
}

const used = process.cpuUsage(start);
const prepareMs = (used.user + used.system) / 1000 / 2000;
console.log(`augment {translate: 2, flip: true} + per-pixel standardisation of a batch of ${batch}: ${prepareMs.toFixed(3)} ms CPU (${(prepareMs * stepsPerEpoch / 1000).toFixed(2)} s CPU/epoch)`);
