/**
 * Seconds per epoch of the seed MLP on the full Fashion-MNIST (60k training images plus the 10k
 * validation pass) on each training path (sweeplab's SIMD kernels, the lean loop on tfjs kernels, the
 * plain Keras-style layers), per backend. Each (backend, path) runs in its own process. The last line is
 * `s_per_epoch=<median>` of the first path on the first backend.
 *
 *   npm run bench:epoch -- --batch 32 [--epochs 2] [--backends wasm,cpu] [--paths simd,lean,layers]
 */
import {loadavg} from 'node:os';
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {loadBackend, nativeBackendInstalled} from '../src/train/backend.js';
import {trainTrial} from '../src/train/loop.js';
import type {TrainingPath} from '../src/train/trainer.js';
import {type BackendName, DEFAULT_TRIAL_CONFIG} from '../src/types.js';
import {childJob, machineLine, median, reportToParent, runChild} from './common.js';

interface Job {
	backend: BackendName;
	path: TrainingPath;
	batch: number;
	epochs: number;
}

interface Measurement {
	seconds: number[];
	/** Process CPU time (user + system) per epoch: near the wall time on an idle machine, lower when others share the cores. */
	cpuSeconds: number[];
	valAccuracy: number;
}

async function measure(job: Job): Promise<Measurement> {
	const {tf} = await loadBackend(job.backend);
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 'test'});
	const seconds: number[] = [];
	const cpuSeconds: number[] = [];
	let valAccuracy = Number.NaN;
	let cpu = process.cpuUsage();
	await trainTrial(tf, {
		config: {...DEFAULT_TRIAL_CONFIG, batchSize: job.batch, epochs: job.epochs},
		seed: 1,
		data,
		shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses},
		path: job.path,
	}, {
		onStart() {
			cpu = process.cpuUsage();
		},
		onEpoch(record) {
			const used = process.cpuUsage(cpu);
			cpu = process.cpuUsage();
			cpuSeconds.push((used.user + used.system) / 1e6);
			seconds.push(record.seconds);
			valAccuracy = record.valAccuracy;
		},
	});
	return {seconds, cpuSeconds, valAccuracy};
}

async function main(): Promise<void> {
	const job = childJob<Job>();
	if (job) {
		await reportToParent(await measure(job));
		return;
	}

	const {values} = parseArgs({options: {
		batch: {type: 'string', default: '32'},
		epochs: {type: 'string', default: '2'},
		backends: {type: 'string'},
		paths: {type: 'string', default: 'simd,lean,layers'},
	}});
	const batch = Number(values.batch);
	const epochs = Number(values.epochs);
	// cpu is opt-in: its plain path takes about a minute per epoch.
	const backends = (values.backends ?? (nativeBackendInstalled() ? 'node,wasm' : 'wasm')).split(',') as BackendName[];
	const paths = values.paths.split(',') as TrainingPath[];
	console.log(`bench:epoch seed MLP 784-64-64-10 relu adam, batch ${batch}, ${epochs} epochs, 60000 train + 10000 validation; ${machineLine()}, load average ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	let headline: number | undefined;
	for (const backend of backends) {
		for (const path of paths) {
			// Sequential on purpose: two measurements side by side would share the cores.
			// eslint-disable-next-line no-await-in-loop
			const result = await runChild<Measurement>(import.meta.url, {backend, path, batch, epochs} satisfies Job);
			const value = median(result.seconds);
			headline ??= value;
			console.log(`${backend.padEnd(5)} ${path.padEnd(6)} s/epoch median ${value.toFixed(2)} (epochs: ${result.seconds.map(s => s.toFixed(2)).join(', ')}; cpu s/epoch median ${median(result.cpuSeconds).toFixed(2)}; last val accuracy ${result.valAccuracy.toFixed(4)})`);
		}
	}

	console.log(`load average after: ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	console.log(`s_per_epoch=${(headline ?? Number.NaN).toFixed(2)}`);
}

await main();
