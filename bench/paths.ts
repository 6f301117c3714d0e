/**
 * Whether the training paths learn alike. First the simd and lean paths train the seed MLP side by side on the
 * same shuffled batches for one epoch, printing how far apart their weights are as the steps go by; then the
 * seed MLP (5 epochs, full data, 10% validation) trains with seeds 1..N on each path, one process per path,
 * printing each seed's test accuracy and the mean. The paths share initialisation and update rules; float
 * rounding differs, and training amplifies it, so single runs differ by seed-to-seed noise.
 *
 *   npm run bench:paths -- [--seeds 6] [--epochs 5] [--paths simd,lean]
 */
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {loadBackend} from '../src/train/backend.js';
import {trainTrial} from '../src/train/loop.js';
import type {TrainingPath} from '../src/train/trainer.js';
import {LeanMlp} from '../src/train/paths/lean.js';
import {SimdNet} from '../src/train/paths/simd.js';
import {DEFAULT_TRIAL_CONFIG} from '../src/types.js';
import {createRng, deriveSeed} from '../src/util/random.js';
import {childJob, machineLine, reportToParent, runChild} from './common.js';

interface Job {
	path: TrainingPath | 'drift';
	seeds: number;
	epochs: number;
}

/** Max |difference| of the two paths' weights after the given steps of one epoch on the same batches. */
async function drift(): Promise<Array<[number, number]>> {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 0.1});
	const config = DEFAULT_TRIAL_CONFIG;
	const shape = {imageShape: dataset.imageShape, numClasses: dataset.numClasses};
	const simd = new SimdNet(tf, config, shape, 1);
	const lean = new LeanMlp(tf, config, shape, 1);
	const dim = data.train.x.length / data.train.n;
	const order = Uint32Array.from({length: data.train.n}, (_, i) => i);
	createRng(deriveSeed(1, 'shuffle', 1)).shuffle(order);
	const x = new Float32Array(config.batchSize * dim);
	const y = new Int32Array(config.batchSize);
	const checkpoints = new Set([1, 10, 100, 300, 1000, 1300, 1600, Math.ceil(order.length / config.batchSize)]);
	const distances: Array<[number, number]> = [];
	for (let start = 0, step = 1; start < order.length; start += config.batchSize, step++) {
		const rows = Math.min(config.batchSize, order.length - start);
		for (let i = 0; i < rows; i++) {
			x.set(data.train.x.subarray(order[start + i] * dim, (order[start + i] + 1) * dim), i * dim);
			y[i] = data.train.y[order[start + i]];
		}

		simd.trainBatch(x, y, rows);
		lean.trainBatch(x, y, rows);
		if (checkpoints.has(step)) {
			distances.push([step, Math.max(...simd.parameters.map((values, k) => values.reduce((max, value, i) => Math.max(max, Math.abs(value - lean.parameters[k][i])), 0)))]);
		}
	}

	lean.dispose();
	return distances;
}

async function measure(job: Job & {path: TrainingPath}): Promise<number[]> {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 0.1});
	const accuracies: number[] = [];
	for (let seed = 1; seed <= job.seeds; seed++) {
		// eslint-disable-next-line no-await-in-loop
		const result = await trainTrial(tf, {
			config: {...DEFAULT_TRIAL_CONFIG, epochs: job.epochs},
			seed,
			data,
			shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses},
			path: job.path,
		}, {onEpoch() {}});
		accuracies.push(result.testAccuracy ?? Number.NaN);
	}

	return accuracies;
}

async function main(): Promise<void> {
	const job = childJob<Job>();
	if (job) {
		await reportToParent(job.path === 'drift' ? await drift() : await measure({...job, path: job.path}));
		return;
	}

	const {values} = parseArgs({options: {
		seeds: {type: 'string', default: '6'},
		epochs: {type: 'string', default: '5'},
		paths: {type: 'string', default: 'simd,lean'},
	}});
	const [seeds, epochs] = [Number(values.seeds), Number(values.epochs)];
	console.log(`bench:paths seed MLP, full data; ${machineLine()}`);
	const distances = await runChild<Array<[number, number]>>(import.meta.url, {path: 'drift', seeds, epochs} satisfies Job);
	console.log(`simd vs lean on the same batches, max |weight difference| after step: ${distances.map(([step, distance]) => `${step}: ${distance.toExponential(1)}`).join(', ')}`);
	console.log(`test accuracy after ${epochs} epochs, seeds 1-${seeds}:`);
	for (const path of values.paths.split(',') as TrainingPath[]) {
		// eslint-disable-next-line no-await-in-loop
		const accuracies = await runChild<number[]>(import.meta.url, {path, seeds, epochs} satisfies Job);
		const mean = accuracies.reduce((sum, value) => sum + value, 0) / accuracies.length;
		console.log(`${path.padEnd(6)} test accuracy per seed ${accuracies.map(value => (value * 100).toFixed(2)).join(' ')}; mean ${(mean * 100).toFixed(2)}%`);
	}
}

await main();
